"""A results directory: session.json, one JSON file per run, weights, agreement."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import DataError
from ..files import read_json, write_json

SESSION = "session.json"
RUNS = "runs"
WEIGHTS = "weights"


class Session:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs_dir = root / RUNS
        self.weights_dir = root / WEIGHTS

    @classmethod
    def create(cls, root: Path, info: dict) -> "Session":
        if (root / SESSION).exists():
            raise DataError(f"{root}: already holds a session; use --resume {root}")
        s = cls(root)
        s.runs_dir.mkdir(parents=True, exist_ok=True)
        s.weights_dir.mkdir(exist_ok=True)
        write_json(root / SESSION, info)
        return s

    @classmethod
    def open(cls, root: Path) -> tuple["Session", dict]:
        info = read_json(root / SESSION, "a session file")
        s = cls(root)
        s.runs_dir.mkdir(exist_ok=True)
        s.weights_dir.mkdir(exist_ok=True)
        for stale in list(s.runs_dir.glob(".*.tmp*")) + list(s.weights_dir.glob("*.tmp*")):
            stale.unlink()  # left by a run killed while writing
        return s, info

    def run_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def load_run(self, run_id: str) -> dict | None:
        """The run's record, or None unless its file is complete, valid JSON: only such
        a run counts as done."""
        rec = _parse(self.run_path(run_id))
        return rec if isinstance(rec, dict) and rec.get("id") == run_id else None

    def done(self, run_id: str) -> bool:
        return self.load_run(run_id) is not None

    def records(self) -> list[dict]:
        """Every run file; one that does not parse stands as a run with status corrupt."""
        out = []
        for p in sorted(self.runs_dir.glob("*.json")):
            rec = _parse(p)
            out.append(rec if rec is not None else {"id": p.stem, "status": "corrupt"})
        return out

    def save_run(self, record: dict) -> None:
        write_json(self.run_path(record["id"]), record)

    def save(self, name: str, obj) -> None:
        write_json(self.root / name, obj)


def _parse(path: Path):
    """The JSON of a run file, or None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
