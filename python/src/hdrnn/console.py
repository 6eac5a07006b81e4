"""A board's shell over its serial console, seen from the host: run a command, copy a
directory back. The copy is tar | gzip | base64 between markers that carry the sha256 of
the payload, so console noise (kernel messages, a login prompt) cannot pass as data.
Works with anything that runs a command and returns (stdout lines, exit code): labgrid's
shell driver, or a pexpect session."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
from typing import Callable

from .errors import DataError

Run = Callable[[str, float], tuple[list[str], int]]

_FRAME = re.compile(r"HDRNN-BEGIN-([0-9a-f]{64})\n(.*)\nHDRNN-END-\1", re.S)


def fetch_command(path: str) -> str:
    """The shell command that prints path's contents as one framed payload."""
    return (f"cd {path} && tar czf /tmp/.xfer.tgz . && base64 /tmp/.xfer.tgz > /tmp/.xfer.b64"
            " && S=$(sha256sum /tmp/.xfer.b64 | cut -c1-64) && echo HDRNN-BEGIN-$S"
            " && cat /tmp/.xfer.b64 && echo HDRNN-END-$S")


def unpack(text: str) -> dict[str, bytes]:
    """The files of a framed payload in console output; DataError if none is there or
    its checksum does not match."""
    m = _FRAME.search(text)
    if not m:
        raise DataError("no framed payload in the console output")
    payload = m.group(2).strip() + "\n"
    # busybox base64 wraps at 76 columns; the checksum covers exactly those lines
    if hashlib.sha256(payload.encode()).hexdigest() != m.group(1):
        raise DataError("corrupt transfer: the payload's sha256 does not match")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(payload)), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                name = member.name.removeprefix("./")
                if name.startswith("/") or ".." in name.split("/"):
                    raise DataError(f"unsafe path in the transfer: {name!r}")
                files[name] = tar.extractfile(member).read()
    return files


def fetch_dir(run: Run, path: str, timeout: float = 300) -> dict[str, bytes]:
    """The files below path on the board, by name relative to path."""
    lines, code = run(fetch_command(path), timeout)
    if code != 0:
        raise DataError(f"{path}: could not pack it on the board: {lines[-3:]}")
    return unpack("\n".join(lines))
