"""Read and validate results directories. Anything hdrnn-run can write renders (all runs
failed, some failed, stress only, --epochs 0, timeouts, signals); anything malformed is
one DataError naming the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

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


def _number(path: Path, run: dict, key: str, optional: bool) -> None:
    v = run.get(key)
    if v is None and optional:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
            or v < 0 or v > 1e12:
        raise DataError(f"{path}: {key!r} must be a finite number >= 0 (got {v!r:.40})")


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
            isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden):
        raise DataError(f"{path}: 'hidden' must be a list of positive integers")
    for key in ("rep", "params"):
        if not isinstance(run.get(key), int) or isinstance(run[key], bool) or run[key] < 0:
            raise DataError(f"{path}: {key!r} must be a non-negative integer")
    _number(path, run, "wall_s", False)
    _number(path, run, "max_rss_kib", False)
    for key in ("user_s", "sys_s", "train_s", "eval_s", "startup_s", "time_to_target_s",
                "rss_anon_peak_kib", "rss_file_peak_kib"):
        _number(path, run, key, True)
    if run["status"] == "ok" and run.get("kind") is None:
        log = run.get("epoch_log")
        if not isinstance(log, list) or not all(isinstance(e, dict) for e in log):
            raise DataError(f"{path}: 'epoch_log' must be a list of objects")
        for e in log:
            acc = e.get("accuracy")
            if isinstance(acc, bool) or not isinstance(acc, (int, float)) or \
                    not 0 <= acc <= 1:
                raise DataError(f"{path}: every epoch needs an 'accuracy' in [0, 1]")
            _number(path, e, "train_s", False)
        acc = run.get("final_accuracy")
        if log and (isinstance(acc, bool) or not isinstance(acc, (int, float))
                    or not 0 <= acc <= 1):
            raise DataError(f"{path}: 'final_accuracy' must be a number in [0, 1]")
        if run.get("train_s") is None:  # sessions before the time split: from the log
            run["train_s"] = sum(e["train_s"] for e in log)
    return run


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
    session = read_json(path / "session.json")
    if not isinstance(session, dict) or not isinstance(session.get("machine"), dict):
        raise DataError(f"{path / 'session.json'}: not an hdrnn-run session (no 'machine' "
                        "object)")
    runs_dir = path / "runs"
    if not runs_dir.is_dir():
        raise DataError(f"{runs_dir}: missing (not a results directory)")
    runs = [_check_run(p, read_json(p)) for p in sorted(runs_dir.glob("*.json"))]
    old = path / "agreement.json"
    # before the agreement check, --check wrote final-weight 'pairs' without verdicts
    agreement = None if old.exists() and "pairs" in (read_json(old) or {}) else \
        _optional(old, ("rows",))
    stress = _optional(path / "stress.json", ("impls", "mem_limit"))
    if agreement is not None and not all(isinstance(r, dict) for r in agreement["rows"]):
        raise DataError(f"{path / 'agreement.json'}: 'rows' must hold objects")
    if stress is not None and not isinstance(stress["impls"], dict):
        raise DataError(f"{path / 'stress.json'}: 'impls' must be an object")
    label = session.get("label") or session["machine"].get("machine") or path.name
    return Results(path, f"{label} ({path.name})", session, runs, agreement, stress)
