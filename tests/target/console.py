"""Talking to the target over its console (hdrnn.console, bound to labgrid's shell)."""

from __future__ import annotations

from hdrnn import console


def sh(shell, cmd: str, timeout: float = 120) -> tuple[list[str], int]:
    """Run cmd on the target; (stdout lines, exit code)."""
    out, _err, code = shell.run(cmd, timeout=timeout)
    return out, code


def fetch_dir(shell, path: str, timeout: float = 300) -> dict[str, bytes]:
    return console.fetch_dir(lambda cmd, t: sh(shell, cmd, t), path, timeout)
