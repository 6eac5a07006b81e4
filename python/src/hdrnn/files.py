"""Reading input files and writing results: one place for the error messages and for
the atomic write (temporary name, fsync, rename, fsync of the directory), so a reader
never sees a half-written file and a crash leaves the old file or none."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import DataError


def read_file(path: Path, what: str = "a file") -> bytes:
    """The bytes of path; a DataError naming the file when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: missing file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not {what}") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None


def read_json(path: Path, what: str = "a JSON file"):
    """The parsed JSON of path; a DataError naming the file when it is not JSON."""
    data = read_file(path, what)
    try:
        return json.loads(data.decode())
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file") from None
    except ValueError as e:
        raise DataError(f"{path}: not valid JSON ({e})") from None


def temp_name(path: Path) -> Path:
    """The temporary name beside path that write_atomic uses (hidden, per process)."""
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def write_atomic(path: str | os.PathLike, chunks) -> None:
    """Write the byte strings of ``chunks`` to path atomically."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, obj) -> None:
    """obj as indented JSON, written atomically."""
    write_atomic(path, [json.dumps(obj, indent=1, sort_keys=True).encode() + b"\n"])


def write_text(path: Path, text: str) -> None:
    write_atomic(path, [text.encode()])
