"""A results directory, the one reader and writer of its files: session.json, one
runs/ID.json per run (written atomically, before the next run starts), weights/, and
the summaries (agreement.json, stress.json). Every file carries its schema (schema.py).
One hdrnn-run works on a directory at a time (flock on DIR/.lock)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from . import schema
from .errors import DataError, ResourceError
from .files import read_json, write_json

SESSION = "session.json"
RUNS = "runs"
WEIGHTS = "weights"
LOCK = ".lock"


class ResultsDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs_dir = root / RUNS
        self.weights_dir = root / WEIGHTS
        self._lock_fd: int | None = None

    def _check_dirs(self) -> None:
        for p in (self.root, self.runs_dir, self.weights_dir):
            if p.exists() and not p.is_dir():
                raise DataError(f"{p}: not a directory (a results directory holds the "
                                "directories runs/ and weights/)")

    def lock(self) -> None:
        """One hdrnn-run per results directory: a second one (say two --resume of the same
        directory) would run the same runs twice and share the CPU with the first. The
        lock (flock on DIR/.lock) goes with the process, however it ends."""
        path = self.root / LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise ResourceError(f"{path}: cannot create the lock: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ResourceError(f"{self.root}: another hdrnn-run (pid {holder}) is working "
                                "on this results directory") from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as e:
            os.close(fd)
            raise ResourceError(f"{path}: cannot write: {e.strerror}") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @classmethod
    def create(cls, root: Path, info: dict) -> "ResultsDir":
        """A new session: its directories, the lock and session.json. When any of it
        fails (a full disk, say) what was made is removed again: no half session."""
        if (root / SESSION).exists():
            raise DataError(f"{root}: already holds a session; use --resume {root}")
        s = cls(root)
        s._check_dirs()
        made = [p for p in (root, s.runs_dir, s.weights_dir) if not p.exists()]
        try:
            for p in made:
                p.mkdir(parents=True, exist_ok=True)
            s.lock()
            write_json(root / SESSION, schema.stamp("session", info))
        except BaseException as e:
            s.unlock()
            (root / LOCK).unlink(missing_ok=True)
            for p in reversed(made):
                try:
                    p.rmdir()
                except OSError:
                    pass
            if isinstance(e, OSError):
                where = e.filename or root
                raise ResourceError(f"{where}: cannot create the session: "
                                    f"{e.strerror}") from None
            raise
        return s

    @classmethod
    def open(cls, root: Path) -> tuple["ResultsDir", dict]:
        """An existing session (for --resume): locked, its stale temporaries removed."""
        info = read_json(root / SESSION, "a session file")
        schema.version_of(root / SESSION, info, "session")
        s = cls(root)
        s._check_dirs()
        s.lock()
        s.runs_dir.mkdir(exist_ok=True)
        s.weights_dir.mkdir(exist_ok=True)
        for stale in list(s.runs_dir.glob(".*.tmp*")) + list(s.weights_dir.glob("*.tmp*")) \
                + list(root.glob(".*.tmp*")):
            stale.unlink()  # left by a run killed while writing
        return s, info

    def run_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def load_run(self, run_id: str) -> dict | None:
        """The run's record, or None unless its file is a complete, valid record of this
        run (a damaged one is run again)."""
        rec = _record(self.run_path(run_id))
        return rec if rec is not None and rec["id"] == run_id else None

    def records(self) -> list[dict]:
        """Every run file; one that is not a valid record stands as status corrupt."""
        out = []
        for p in sorted(self.runs_dir.glob("*.json")):
            rec = _record(p)
            out.append(rec if rec is not None else {"id": p.stem, "status": "corrupt"})
        return out

    def save_run(self, record: dict) -> None:
        write_json(self.run_path(record["id"]), record)

    def save_session(self, info: dict) -> None:
        """session.json again, with what was learnt after the runs (cachesim.merge)."""
        write_json(self.root / SESSION, schema.stamp("session", info))

    def save(self, name: str, kind: str, doc: dict) -> None:
        """A summary file (agreement.json, stress.json) with its schema."""
        write_json(self.root / name, schema.stamp(kind, doc))


def _record(path: Path) -> dict | None:
    try:
        return schema.run_record(path, read_json(path))
    except (DataError, ResourceError, OSError):
        return None
