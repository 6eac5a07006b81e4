"""A results directory: session.json, one JSON file per run, weights, agreement."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from ..errors import DataError, ResourceError
from ..files import read_json, write_json

SESSION = "session.json"
RUNS = "runs"
WEIGHTS = "weights"


LOCK = ".lock"


class Session:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs_dir = root / RUNS
        self.weights_dir = root / WEIGHTS
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """One hdrnn-run per results directory: a second one (say two --resume of the same
        directory) would run the same runs twice and share the CPU with the first. The
        lock (flock on DIR/.lock) goes with the process, however it ends."""
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ResourceError(f"{self.root}: another hdrnn-run (pid {holder}) is working "
                                "on this results directory") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    @classmethod
    def create(cls, root: Path, info: dict) -> "Session":
        if (root / SESSION).exists():
            raise DataError(f"{root}: already holds a session; use --resume {root}")
        s = cls(root)
        s.runs_dir.mkdir(parents=True, exist_ok=True)
        s.weights_dir.mkdir(exist_ok=True)
        s.lock()
        write_json(root / SESSION, info)
        return s

    @classmethod
    def open(cls, root: Path) -> tuple["Session", dict]:
        info = read_json(root / SESSION, "a session file")
        check_session(root / SESSION, info)
        s = cls(root)
        s.lock()
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


def check_session(path: Path, info) -> None:
    """What --resume needs of session.json, checked before anything is run; a
    hand-edited or damaged file is one DataError naming it."""
    from .impls import KNOWN
    from .presets import ORDERS, Plan
    if not isinstance(info, dict):
        raise DataError(f"{path}: not an hdrnn-run session (not a JSON object)")
    plan = info.get("plan")
    if not isinstance(plan, dict):
        raise DataError(f"{path}: no 'plan' object")
    try:
        p = Plan.from_dict(plan)
    except TypeError as e:
        raise DataError(f"{path}: 'plan' is incomplete ({e})") from None
    hidden_ok = isinstance(p.hidden, list) and p.hidden and all(
        isinstance(h, list) and h and all(isinstance(n, int) and not isinstance(n, bool)
                                          and n > 0 for n in h) for h in p.hidden)
    if not hidden_ok:
        raise DataError(f"{path}: 'plan.hidden' must be a list of lists of positive integers")
    for key in ("reps", "epochs", "batch", "seed"):
        v = getattr(p, key)
        if not isinstance(v, int) or isinstance(v, bool) or v < (0 if key in ("epochs", "seed")
                                                                else 1):
            raise DataError(f"{path}: 'plan.{key}' must be a non-negative integer")
    if not isinstance(p.lr, (int, float)) or isinstance(p.lr, bool) or not p.lr > 0:
        raise DataError(f"{path}: 'plan.lr' must be a positive number")
    for key in ("train_limit", "test_limit", "warmup"):
        v = getattr(p, key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise DataError(f"{path}: 'plan.{key}' must be a non-negative integer or null")
    for key in ("same_seed", "check"):
        if not isinstance(getattr(p, key), bool):
            raise DataError(f"{path}: 'plan.{key}' must be true or false")
    if p.order not in ORDERS or not isinstance(p.name, str) or not isinstance(p.dataset, str):
        raise DataError(f"{path}: 'plan' has a bad order, name or dataset")
    t = p.target_accuracy
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))
                          or not 0 < t <= 1):
        raise DataError(f"{path}: 'plan.target_accuracy' must be in (0, 1] or null")
    if p.weights_in is not None and (not isinstance(p.weights_in, str) or not p.weights_in
                                     or not isinstance(info.get("weights_in"), dict)
                                     or not isinstance(info["weights_in"].get("sha256"), str)):
        raise DataError(f"{path}: 'plan.weights_in' must be a path with its 'weights_in' "
                        "sha256, or null")
    if info.get("native_bin") is not None and not isinstance(info["native_bin"], str):
        raise DataError(f"{path}: 'native_bin' must be a path or null")
    if p.impls is not None and (not isinstance(p.impls, list) or
                                any(i not in KNOWN for i in p.impls)):
        raise DataError(f"{path}: 'plan.impls' names an unknown implementation")
    for key, low in (("classes", 2), ("inputs", 1), ("checkpoint_every", 0)):
        v = getattr(p, key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < low):
            raise DataError(f"{path}: 'plan.{key}' must be an integer >= {low} or null")
    if not isinstance(info.get("data_dir"), str) or not info["data_dir"]:
        raise DataError(f"{path}: no 'data_dir'")
    if info.get("mode", "run") not in ("run", "stress"):
        raise DataError(f"{path}: unknown mode {info.get('mode')!r:.40}")
    if info.get("mode") == "stress" and not isinstance(info.get("stress"), dict):
        raise DataError(f"{path}: a stress session without its 'stress' options")
    from .options import Options
    try:
        Options.from_session(info, True)
    except (TypeError, ValueError, AttributeError, OverflowError) as e:
        raise DataError(f"{path}: options that cannot be read ({e})") from None
