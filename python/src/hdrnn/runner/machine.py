"""What machine a session ran on: CPU, ISA flags, cores, memory, kernel, libc, versions."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__


def _cpuinfo() -> dict:
    info: dict = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("model name", "Hardware", "CPU part", "CPU implementer",
                   "CPU architecture", "Processor") and key not in info:
            info[key] = value
        elif key in ("flags", "Features") and "isa_flags" not in info:
            info["isa_flags"] = value.split()
    return info


def _meminfo_kib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[4]
    if not (root / ".git").exists():
        return None
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() or None


def machine_info() -> dict:
    cpu = _cpuinfo()
    libc = platform.libc_ver()
    flags = cpu.pop("isa_flags", [])
    return {
        "cpu_model": cpu.get("model name") or cpu.get("Processor") or platform.processor(),
        "cpu": cpu,
        "isa_flags": flags,
        "neon": "neon" in flags or "asimd" in flags,
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "mem_total_kib": _meminfo_kib(),
        "kernel": platform.release(),
        "kernel_version": platform.version(),
        "libc": f"{libc[0]} {libc[1]}".strip() or None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "hdrnn": __version__,
        "git_commit": git_commit(),
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
