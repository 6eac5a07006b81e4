"""One run's record (runs/ID.json): what ran, how it ended, what it measured.
docs/runner.md describes every figure: what it includes and from which clock."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from .. import contract
from . import noise
from .impls import Impl
from .measure import Measurement
from .presets import Plan


def run_id(impl: str, hidden: list[int], rep: int) -> str:
    return f"{impl}__h{contract.hidden_tag(hidden)}__r{rep}"


def trainer_argv(impl: Impl, plan: Plan, data: Path, hidden: list[int], seed: int,
                 threads: int, resume_from: Path | None = None) -> list[str]:
    """The trainer's whole command line for one run of the plan (resume_from: continue
    it from that checkpoint, which holds the weights)."""
    argv = impl.argv + contract.trainer_argv(data, hidden, plan.epochs, plan.batch, plan.lr,
                                             seed, plan.train_limit, plan.test_limit)
    if resume_from:
        argv += ["--resume-from", str(resume_from)]
    elif plan.weights_in:
        argv += ["--weights-in", plan.weights_in]
    if plan.classes:
        argv += ["--classes", str(plan.classes)]
    return argv + (["--threads", str(threads)] if impl.threads else [])


def child_env(threads: int) -> dict:
    """The trainer's environment: BLAS and OpenMP pools sized to --threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


# How a process that ran out of memory says so when it cannot exit 4 itself: the dynamic
# loader mapping a library, OpenBLAS allocating its buffers, Python, C++ and LibTorch.
OOM_SIGNS = ("out of memory", "cannot allocate memory", "failed to map segment",
             "memory allocation", "memoryerror", "bad_alloc", "can't allocate memory",
             "cannot allocate", "not enough memory")


def failure_kind(m: Measurement, mem_limited: bool = False) -> str | None:
    """Why a run failed, as far as its end says: timeout, out-of-memory (exit 4, a loader
    or library message, or SIGKILL under a memory limit: the OOM killer), signal, error."""
    if m.timed_out:
        return "timeout"
    tail = m.stderr_tail.lower()
    if m.exit_code == 4 or any(sign in tail for sign in OOM_SIGNS) or \
            (mem_limited and m.signal == "SIGKILL"):
        return "out-of-memory"
    if m.signal:
        return "signal"
    return "error" if m.exit_code else None


def time_to_target(epochs: list[dict], target: float | None) -> float | None:
    """Training seconds (sum of train_s) until the test accuracy first reaches target."""
    if target is None:
        return None
    spent = 0.0
    for e in epochs:
        spent += e["train_s"]
        if e["accuracy"] >= target:
            return round(spent, 6)
    return None


def record_of(rid: str, impl: Impl, hidden: list[int], rep: int, seed: int, plan: Plan,
              data: Path, argv: list[str], m: Measurement, before: dict,
              extra: dict | None = None, resumed: list[dict] | None = None) -> dict:
    """resumed: where the run was continued from checkpoints after interruptions (its
    events then hold every attempt's epochs; the times only the last attempt's)."""
    epochs = contract.epoch_events(m.events)
    start = contract.find_event(m.events, "start") or {}
    done = contract.find_event(m.events, "done") is not None
    ok = m.exit_code == 0 and done and not m.bad_stdout and len(epochs) == plan.epochs
    status = "ok" if ok else ("timeout" if m.timed_out else "failed")
    train_s = round(sum(e["train_s"] for e in epochs), 6)
    eval_s = round(sum(e["eval_s"] for e in epochs), 6)
    inputs, classes = plan.inputs or contract.INPUTS, plan.classes or contract.CLASSES
    rec = {
        "id": rid, "impl": impl.name, "hidden": hidden, "rep": rep, "seed": seed,
        "inputs": inputs, "classes": classes,
        "params": contract.param_count(hidden, inputs, classes),
        "epochs": plan.epochs, "batch": plan.batch,
        "lr": plan.lr, "dataset": plan.dataset, "data_dir": str(data),
        "train_limit": plan.train_limit, "test_limit": plan.test_limit, "argv": argv,
        "binary": impl.binary, "build": impl.build_of(start),
        "status": status, "exit_code": m.exit_code, "signal": m.signal,
        # the whole process, as GNU time: wall from the runner's monotonic clock, the
        # rest from wait4
        "wall_s": round(m.wall_s, 6), "user_s": round(m.user_s, 6),
        "sys_s": round(m.sys_s, 6), "max_rss_kib": m.max_rss_kib,
        # the trainer's own clock: sums over the epochs
        "train_s": train_s if epochs else None,
        "eval_s": eval_s if epochs else None,
        "startup_s": round(max(0.0, m.wall_s - train_s - eval_s), 6) if ok else None,
        "target_accuracy": plan.target_accuracy,
        "time_to_target_s": time_to_target(epochs, plan.target_accuracy),
        "busy": noise.is_busy(m.wall_s, m.user_s, m.sys_s),
        "before": before,
        "epoch_log": epochs, "start": start,
        "final_accuracy": epochs[-1]["accuracy"] if epochs else None,
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if m.rss is not None:
        rec["rss_anon_peak_kib"] = m.rss.anon_kib
        rec["rss_file_peak_kib"] = m.rss.file_kib
        rec["rss_shmem_peak_kib"] = m.rss.shmem_kib
        rec["rss_samples"] = m.rss.samples
    if status != "ok":
        rec["failure"] = failure_kind(m, bool(extra and extra.get("kind") == "stress")) or \
            "error"
        rec["stderr_tail"] = m.stderr_tail
        if m.bad_stdout:
            rec["bad_stdout"] = m.bad_stdout
    if m.perf is not None:
        rec["perf"] = m.perf
    if resumed:
        # the last attempt's clock and process: not the run's; accuracy and RSS stand
        rec.update(resumed=resumed, train_s=None, eval_s=None, startup_s=None,
                   time_to_target_s=None)
    if plan.checkpoint_every is not None:
        rec["checkpoint_every"] = plan.checkpoint_every  # its writes are in train_s
    rec.update(extra or {})
    return rec


def describe(rec: dict) -> str:
    """One progress line for a finished run."""
    tag = f"{rec['impl']} h={contract.hidden_tag(rec['hidden'])} rep {rec['rep']}"
    if rec["status"] != "ok":
        why = rec.get("signal") or f"exit {rec['exit_code']}"
        tail = (rec.get("stderr_tail") or "").strip().splitlines()[-1:] or [""]
        return f"{tag}: {rec['status'].upper()} ({why}) {tail[0][:120]}"
    acc = rec.get("final_accuracy")
    train = rec.get("train_s")
    return (f"{tag}: ok {rec['wall_s']:.2f} s"
            + (f" (training {train:.2f} s)" if train is not None else "")
            + f", {rec['max_rss_kib'] / 1024:.1f} MiB"
            + (f", acc {acc * 100:.2f}%" if acc is not None else "")
            + (" [BUSY: waited for a CPU]" if rec.get("busy") else ""))
