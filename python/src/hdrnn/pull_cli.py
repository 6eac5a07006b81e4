"""hdrnn-pull: copy a directory (a results directory, say) from a board to this host over
its serial console. The board needs nothing but a shell with tar, gzip, base64 and
sha256sum (BusyBox has them): the files travel as one tar.gz, base64 lines between
markers that carry the payload's sha256, so console noise cannot pass as data.
About 8 KB/s at 115200 baud."""

from __future__ import annotations

import math
import os
import shlex
import shutil
import sys
import tempfile

from .cliutil import OneLineParser, add_version, run_main
from .console import fetch_command, unpack
from .errors import DataError, ResourceError, UsageError
from .serial_shell import SerialShell

PROG = "hdrnn-pull"


def build_parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    add_version(p)
    p.add_argument("device", help="the board's serial console (/dev/ttyUSB0, a QEMU pty)")
    p.add_argument("remote", help="the directory on the board")
    p.add_argument("local", help="a new directory on this host to copy it into")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--user", help="log in as this user if the board shows a login prompt "
                   "(password from HDRNN_CONSOLE_PASSWORD, if it asks)")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds for the copy (default 600)")
    return p


def _write_tree(files: dict[str, bytes], local: str) -> None:
    """Everything into a temporary directory beside local, then one rename: local is
    either complete or absent."""
    parent = os.path.dirname(os.path.abspath(local))
    if os.path.lexists(local):
        raise ResourceError(f"{local}: already exists (give a new directory)")
    tmp = tempfile.mkdtemp(prefix=".hdrnn-pull-", dir=parent)
    try:
        for name, data in files.items():
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.rename(tmp, local)
        dirfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
        try:  # the rename itself survives a power cut
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _check_args(args) -> None:
    """Everything that can be refused before minutes of copying."""
    if not args.remote:
        raise UsageError("the board's directory is empty")
    if not args.local:
        raise UsageError("the local directory is empty")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise UsageError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    if os.path.lexists(args.local):
        raise ResourceError(f"{args.local}: already exists (give a new directory)")
    parent = os.path.dirname(os.path.abspath(args.local))
    if not os.path.isdir(parent):
        raise ResourceError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ResourceError(f"{parent}: not writable")


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    _check_args(args)
    with SerialShell(args.device, args.baud) as sh:
        sh.ready(args.user, os.environ.get("HDRNN_CONSOLE_PASSWORD"))
        remote = shlex.quote(args.remote)
        # the packing's temporary files go whatever happens; the subshell keeps the
        # board's shell in its own directory
        lines, code = sh.run(f"{fetch_command(remote)}; X=$?; rm -f /tmp/.xfer.tgz "
                             "/tmp/.xfer.b64; exit $X", args.timeout)
    if code != 0:
        raise DataError(f"{args.remote}: no such directory on the board, or it could not be "
                        f"packed there (exit {code})")
    files = unpack("\n".join(lines))
    _write_tree(files, args.local)
    size = sum(len(v) for v in files.values())
    print(f"{PROG}: {len(files)} files, {size:,} bytes -> {args.local}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
