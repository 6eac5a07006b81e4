"""Memory limits for stress runs: a cgroup v2 memory.max where this process may create
one (it bounds resident memory, as on the board), else RLIMIT_AS (address space, which
also counts mapped but untouched memory: a stricter limit, recorded as such)."""

from __future__ import annotations

import math
import os
import resource
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


MIN_LIMIT = 1 << 20   # below a MiB not even the C trainer starts
MAX_LIMIT = 1 << 50   # a PiB: anything larger is no limit at all


def parse_size(text: str) -> int:
    """'256M', '1G', '1.5G', '65536K' -> bytes, between 1 MiB and 1 PiB."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in "KMGT" else ""
    try:
        value = float(t[: len(t) - len(unit)])
    except ValueError:
        raise ValueError(f"{text!r}: expected a size like 256M or 1G") from None
    size = value * _UNITS[unit] if math.isfinite(value) else math.inf
    if not MIN_LIMIT <= size <= MAX_LIMIT:
        raise ValueError(f"{text!r}: must be between 1M and 1024T")
    return int(size)


def _cgroup_v2_parent() -> Path | None:
    ctrl = CGROUP_ROOT / "cgroup.controllers"
    try:
        if "memory" not in ctrl.read_text().split():
            return None
        rel = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
    except (OSError, IndexError):
        return None
    parent = CGROUP_ROOT / rel.lstrip("/")
    # Try it: the memory controller must be enabled for our cgroup's children, which
    # systemd scopes and containers often do not allow. Otherwise RLIMIT_AS is used.
    probe = parent / f"hdrnn-probe-{os.getpid()}"
    try:
        probe.mkdir()
        try:
            (probe / "memory.max").write_text("max")
        finally:
            probe.rmdir()
    except OSError:
        return None
    return parent


class MemoryLimit:
    def __init__(self, limit_bytes: int) -> None:
        self.bytes = limit_bytes
        self.parent = _cgroup_v2_parent()
        self.method = "cgroup-v2 memory.max" if self.parent else "setrlimit RLIMIT_AS"
        self.group: Path | None = None

    def apply_in_child(self) -> None:
        if not self.parent:
            resource.setrlimit(resource.RLIMIT_AS, (self.bytes, self.bytes))

    def attach(self, pid: int) -> None:
        """Move the just-started child into a fresh cgroup (cgroup v2 only)."""
        if not self.parent:
            return
        try:
            self.group = self.parent / f"hdrnn-{os.getpid()}-{pid}"
            self.group.mkdir()
            (self.group / "memory.max").write_text(str(self.bytes))
            (self.group / "memory.swap.max").write_text("0")
            (self.group / "cgroup.procs").write_text(str(pid))
        except OSError:
            self.method = "none (cgroup set-up failed)"

    def release(self) -> None:
        if self.group:
            try:
                self.group.rmdir()
            except OSError:
                pass
            self.group = None
