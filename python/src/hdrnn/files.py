"""Reading input files and writing results: one place for the error messages and for
the atomic write (temporary name, fsync, rename, fsync of the directory), so a reader
never sees a half-written file and a crash leaves the old file or none."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import DataError, ResourceError


def open_file(path: Path, what: str = "a file") -> BinaryIO:
    """path open for reading; a DataError naming the file when it cannot be opened or is
    not a regular file. O_NONBLOCK: opening a FIFO does not wait for a writer, and a
    device such as /dev/zero is refused before it is read without end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise DataError(f"{path}: missing file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise DataError(f"{path}: is {kind}, not {what}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_file(path: Path, what: str = "a file") -> bytes:
    """The bytes of path (open_file's checks)."""
    with open_file(path, what) as f:
        try:
            return f.read()
        except OSError as e:
            raise DataError(f"{path}: cannot read: {e.strerror}") from None


def sha256_of(path: Path, what: str = "a file") -> str:
    """The sha256 of path's bytes, read a MiB at a time (open_file's checks)."""
    h = hashlib.sha256()
    with open_file(path, what) as f:
        try:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        except OSError as e:
            raise DataError(f"{path}: cannot read: {e.strerror}") from None
    return h.hexdigest()


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
    """Write the byte strings of ``chunks`` to path atomically. Only a regular file or a
    new one is written: never a device, a pipe or a directory, never through a symlink
    (and the temporary file is created new, O_EXCL | O_NOFOLLOW)."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise ResourceError(f"{path}: not a regular file (a link, device, pipe or "
                            "directory); refusing to replace it")
    tmp = temp_name(path)
    tmp.unlink(missing_ok=True)  # left by an earlier process with our pid
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ResourceError(f"{path}: cannot write: {e.strerror}") from None
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
