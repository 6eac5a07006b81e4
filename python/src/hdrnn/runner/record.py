"""One run's record (runs/ID.json): what ran, how it ended, what it measured."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from .. import contract
from .measure import Measurement
from .presets import Plan


def run_id(impl: str, hidden: list[int], rep: int) -> str:
    return f"{impl}__h{contract.hidden_tag(hidden)}__r{rep}"


def trainer_argv(plan: Plan, data: Path, hidden: list[int]) -> list[str]:
    return contract.trainer_argv(data, hidden, plan.epochs, plan.batch, plan.lr, plan.seed,
                                 plan.train_limit, plan.test_limit)


def child_env(threads: int) -> dict:
    """The trainer's environment: BLAS and OpenMP pools sized to --threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def record_of(rid: str, impl: str, hidden: list[int], rep: int, plan: Plan, data: Path,
              argv: list[str], m: Measurement, extra: dict | None = None) -> dict:
    epochs = contract.epoch_events(m.events)
    start = contract.find_event(m.events, "start") or {}
    done = contract.find_event(m.events, "done") is not None
    ok = m.exit_code == 0 and done and not m.bad_stdout and len(epochs) == plan.epochs
    status = "ok" if ok else ("timeout" if m.timed_out else "failed")
    rec = {
        "id": rid, "impl": impl, "hidden": hidden, "rep": rep,
        "params": contract.param_count(hidden), "epochs": plan.epochs, "batch": plan.batch,
        "lr": plan.lr, "seed": plan.seed, "dataset": plan.dataset, "data_dir": str(data),
        "train_limit": plan.train_limit, "test_limit": plan.test_limit, "argv": argv,
        "status": status, "exit_code": m.exit_code, "signal": m.signal,
        "wall_s": round(m.wall_s, 6), "user_s": round(m.user_s, 6),
        "sys_s": round(m.sys_s, 6), "max_rss_kib": m.max_rss_kib,
        "epoch_log": epochs, "start": start,
        "final_accuracy": epochs[-1]["accuracy"] if epochs else None,
        "train_s": round(sum(e["train_s"] for e in epochs), 6) if epochs else None,
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if status != "ok":
        rec["stderr_tail"] = m.stderr_tail
        if m.bad_stdout:
            rec["bad_stdout"] = m.bad_stdout
    if m.perf is not None:
        rec["perf"] = m.perf
    rec.update(extra or {})
    return rec


def describe(rec: dict) -> str:
    """One progress line for a finished run."""
    tag = f"{rec['impl']} h={contract.hidden_tag(rec['hidden'])} rep {rec['rep']}"
    if rec["status"] != "ok":
        why = rec.get("signal") or f"exit {rec['exit_code']}"
        tail = (rec.get("stderr_tail") or "").strip().splitlines()[-1:] or [""]
        return f"{tag}: {rec['status'].upper()} ({why}) {tail[0][:120]}"
    return (f"{tag}: ok {rec['wall_s']:.2f} s, {rec['max_rss_kib'] / 1024:.1f} MiB, "
            f"acc {rec['final_accuracy'] * 100:.2f}%")
