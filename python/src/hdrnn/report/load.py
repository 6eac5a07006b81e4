"""Read and validate results directories; malformed files are a one-line DataError."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..files import read_json

RUN_KEYS = {"id": str, "impl": str, "hidden": list, "rep": int, "params": int,
            "status": str, "wall_s": (int, float), "max_rss_kib": int}


@dataclass
class Results:
    path: Path
    label: str
    session: dict
    runs: list[dict]
    agreement: dict | None = None
    stress: dict | None = None
    accuracy: dict | None = None

    def ok_runs(self) -> list[dict]:
        return [r for r in self.runs if r["status"] == "ok" and r.get("kind") != "stress"]

    def impls(self) -> list[str]:
        return sorted({r["impl"] for r in self.ok_runs()})

    def configs(self) -> list[tuple]:
        """(params, hidden tuple) sorted by parameter count."""
        return sorted({(r["params"], tuple(r["hidden"])) for r in self.ok_runs()})

    def cell(self, impl: str, hidden: tuple) -> list[dict]:
        return [r for r in self.ok_runs() if r["impl"] == impl and tuple(r["hidden"]) == hidden]


def _check_run(path: Path, run) -> dict:
    if not isinstance(run, dict):
        raise DataError(f"{path}: a run record must be a JSON object")
    for key, typ in RUN_KEYS.items():
        if key not in run:
            raise DataError(f"{path}: run record lacks {key!r}")
        if not isinstance(run[key], typ) or isinstance(run[key], bool):
            raise DataError(f"{path}: {key!r} has the wrong type ({type(run[key]).__name__})")
    if run["status"] == "ok" and run.get("kind") != "stress":
        acc = run.get("final_accuracy")
        if not isinstance(acc, (int, float)) or not 0 <= acc <= 1:
            raise DataError(f"{path}: 'final_accuracy' must be a number in [0, 1]")
        if not isinstance(run.get("epoch_log"), list):
            raise DataError(f"{path}: 'epoch_log' must be a list")
    return run


def load(path: Path) -> Results:
    if not path.is_dir():
        raise DataError(f"{path}: not a results directory")
    session = read_json(path / "session.json")
    if not isinstance(session, dict) or "machine" not in session:
        raise DataError(f"{path / 'session.json'}: not an hdrnn-run session (no 'machine')")
    runs = [_check_run(p, read_json(p)) for p in sorted((path / "runs").glob("*.json"))]
    if not runs:
        raise DataError(f"{path / 'runs'}: no run results")
    opt = {}
    for name in ("agreement", "stress", "accuracy"):
        f = path / f"{name}.json"
        opt[name] = read_json(f) if f.exists() else None
    label = session.get("label") or session["machine"].get("machine") or path.name
    return Results(path, f"{label} ({path.name})", session, runs, **opt)


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs)


def spread(xs: list[float]) -> float:
    return statistics.stdev(xs) if len(xs) > 1 else 0.0
