"""Read and validate results directories. Anything hdrnn-run can write renders (all runs
failed, some failed, stress only, --epochs 0, timeouts, signals); anything malformed is
one DataError naming the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..contract import network_of
from ..errors import DataError
from ..files import read_json

STATUSES = {"ok", "failed", "timeout", "corrupt"}
KINDS = {None, "check", "stress"}


@dataclass
class Results:
    path: Path
    label: str
    session: dict
    runs: list[dict]
    agreement: dict | None = None
    stress: dict | None = None

    def timing_runs(self) -> list[dict]:
        """The matrix's runs (not the agreement check's, not stress probes)."""
        return [r for r in self.runs if r.get("kind") is None]

    def ok_runs(self) -> list[dict]:
        return [r for r in self.timing_runs() if r["status"] == "ok"]

    def impls(self) -> list[str]:
        return sorted({r["impl"] for r in self.ok_runs()})

    def configs(self) -> list[tuple]:
        """(params, hidden tuple) sorted by parameter count."""
        return sorted({(r["params"], tuple(r["hidden"])) for r in self.ok_runs()})

    def network(self, hidden: tuple) -> str:
        """The label of the network with these hidden sizes on this session's data, such
        as 784-30-10 or 30-16-2."""
        run = next((r for r in self.runs if tuple(r.get("hidden") or ()) == tuple(hidden)),
                   {"hidden": list(hidden)})
        return network_of(run)

    def cell(self, impl: str, hidden: tuple) -> list[dict]:
        return [r for r in self.ok_runs() if r["impl"] == impl and tuple(r["hidden"]) == hidden]

    @property
    def emulated(self) -> dict | None:
        emu = self.session.get("emulated")
        return emu if isinstance(emu, dict) else None

    @property
    def tagged_label(self) -> str:
        """The label, with what an emulated machine's times are wherever they appear."""
        emu = self.emulated
        return f"{self.label}, {emu.get('description', 'emulated')}" if emu else self.label


def _number(path: Path, run: dict, key: str, optional: bool, top: float = 1e12) -> None:
    v = run.get(key)
    if v is None and optional:
        return
    # comparisons first: an integer beyond float range (10**400) must not overflow
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= top \
            or not math.isfinite(v):
        raise DataError(f"{path}: {key!r} must be a finite number in [0, {top:g}] "
                        f"(got {v!r:.40})")


def _integer(path: Path, run: dict, key: str, optional: bool, low: int = 0) -> None:
    v = run.get(key)
    if v is None and optional:
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < low or v > 2 ** 64:
        raise DataError(f"{path}: {key!r} must be an integer >= {low} (got {v!r:.40})")


def _typed(path: Path, doc: dict, key: str, types: tuple, optional: bool = True) -> None:
    v = doc.get(key)
    if (v is None and optional) or (isinstance(v, types) and not isinstance(v, bool)) or \
            (bool in types and isinstance(v, bool)):
        return
    names = "/".join(t.__name__ for t in types)
    raise DataError(f"{path}: {key!r} must be {names} (got {type(v).__name__})")


# The members of a run record the report reads, beyond id/impl/status/hidden: each is
# checked here once, so that no table meets a type it does not expect.
RUN_NUMBERS = ("user_s", "sys_s", "train_s", "eval_s", "startup_s", "time_to_target_s",
               "rss_anon_peak_kib", "rss_file_peak_kib", "rss_shmem_peak_kib")
RUN_INTEGERS = ("seed", "epochs", "batch", "inputs", "classes")
RUN_STRINGS = ("build", "binary", "signal", "stderr_tail", "dataset", "utc", "weights",
               "failure")


def _check_run(path: Path, run) -> dict:
    if not isinstance(run, dict):
        raise DataError(f"{path}: a run record must be a JSON object")
    for key in ("id", "impl", "status"):
        if not isinstance(run.get(key), str) or not run[key]:
            raise DataError(f"{path}: {key!r} must be a non-empty string")
    if run["status"] not in STATUSES:
        raise DataError(f"{path}: unknown status {run['status']!r:.40}")
    if run.get("kind") not in KINDS:
        raise DataError(f"{path}: unknown kind {run.get('kind')!r:.40}")
    hidden = run.get("hidden")
    if not isinstance(hidden, list) or not hidden or not all(
            isinstance(h, int) and not isinstance(h, bool) and 0 < h <= 2 ** 31
            for h in hidden):
        raise DataError(f"{path}: 'hidden' must be a list of positive integers")
    _integer(path, run, "rep", False)
    _integer(path, run, "params", False)
    _number(path, run, "wall_s", False)
    _number(path, run, "max_rss_kib", False)
    for key in RUN_NUMBERS:
        _number(path, run, key, True)
    _number(path, run, "target_accuracy", True, 1.0)
    _number(path, run, "final_accuracy", True, 1.0)
    for key in RUN_INTEGERS:
        _integer(path, run, key, True, 1 if key in ("batch", "inputs", "classes") else 0)
    for key in RUN_STRINGS:
        _typed(path, run, key, (str,))
    _typed(path, run, "exit_code", (int,))
    _typed(path, run, "busy", (bool,))
    _typed(path, run, "start", (dict,))
    _typed(path, run, "resumed", (list,))
    start = run.get("start") or {}
    _integer(path, start, "train", True)
    log = run.setdefault("epoch_log", [])  # the figures index it
    if not isinstance(log, list) or not all(isinstance(e, dict) for e in log):
        raise DataError(f"{path}: 'epoch_log' must be a list of objects")
    for e in log:
        _number(path, e, "accuracy", False, 1.0)
        _number(path, e, "train_s", False)
    if run["status"] == "ok" and run.get("kind") is None:
        if log and run.get("final_accuracy") is None:
            raise DataError(f"{path}: 'final_accuracy' must be a number in [0, 1]")
        if run.get("train_s") is None and log:  # sessions before the time split
            run["train_s"] = sum(e["train_s"] for e in log)
    return run


def _check_session(path: Path, session) -> dict:
    if not isinstance(session, dict) or not isinstance(session.get("machine"), dict):
        raise DataError(f"{path}: not an hdrnn-run session (no 'machine' object)")
    for key in ("label", "rss_method", "preset", "data_dir"):
        _typed(path, session, key, (str,))
    for key in ("trainers", "skipped", "emulated", "plan", "perf"):
        _typed(path, session, key, (dict,))
    emu = session.get("emulated") or {}
    for key in ("qemu", "icount", "description"):
        _typed(path, emu, key, (str,))
    _typed(path, emu, "instructions", (bool,))
    return session


def _optional(path: Path, keys: tuple[str, ...]) -> dict | None:
    if not path.exists():
        return None
    data = read_json(path)
    if not isinstance(data, dict) or not all(k in data for k in keys):
        raise DataError(f"{path}: not an hdrnn-run {path.stem} file (needs "
                        f"{', '.join(keys)})")
    return data


def load(path: Path) -> Results:
    if not path.is_dir():
        raise DataError(f"{path}: not a results directory")
    session = _check_session(path / "session.json", read_json(path / "session.json"))
    runs_dir = path / "runs"
    if not runs_dir.is_dir():
        raise DataError(f"{runs_dir}: missing (not a results directory)")
    runs = [_check_run(p, read_json(p)) for p in sorted(runs_dir.glob("*.json"))]
    agree = path / "agreement.json"
    old = read_json(agree) if agree.exists() else None
    # before the agreement check, --check wrote final-weight 'pairs' without verdicts
    agreement = None if isinstance(old, dict) and "pairs" in old and "rows" not in old \
        else _optional(agree, ("rows",))
    stress = _optional(path / "stress.json", ("impls", "mem_limit"))
    if agreement is not None:
        rows = agreement["rows"]
        where = path / "agreement.json"
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataError(f"{where}: 'rows' must be a list of objects")
        for r in rows:
            _number(where, r, "max_abs", True, math.inf)
            _number(where, r, "tolerance", True)
            _typed(where, r, "ok", (bool,))
            h = r.get("hidden")
            if h is not None and not (isinstance(h, list) and h and all(
                    isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in h)):
                raise DataError(f"{where}: 'hidden' must be a list of positive integers")
    if stress is not None:
        where = path / "stress.json"
        if not isinstance(stress["impls"], dict) or not all(
                isinstance(v, dict) for v in stress["impls"].values()):
            raise DataError(f"{where}: 'impls' must map implementations to objects")
        for key in ("mem_limit", "method"):
            _typed(where, stress, key, (str,))
    label = session.get("label") or session["machine"].get("machine") or path.name
    return Results(path, f"{label} ({path.name})", session, runs, agreement, stress)
