"""Find the trainers that can run here, and say why the others cannot."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import contract
from . import measure
from .record import child_env

ALL = ["c", "eigen", "libtorch", "numpy", "numpy-sample", "torch"]
NATIVE = {"c", "eigen", "libtorch"}
PYTHON_MODULES = {"numpy": "hdrnn.train_numpy", "numpy-sample": "hdrnn.train_numpy_sample",
                  "torch": "hdrnn.train_torch"}


@dataclass
class Impl:
    name: str
    argv: list[str] | None  # None: unavailable
    reason: str = ""


def _build_tree_bins() -> list[Path]:
    """native/ build trees of a source checkout this package was installed from."""
    env = os.environ.get("HDRNN_NATIVE_BIN")
    dirs = [Path(p) for p in env.split(os.pathsep)] if env else []
    root = Path(__file__).resolve().parents[4]
    if (root / "native" / "CMakeLists.txt").is_file():
        dirs.append(root / "build" / "native" / "bin")
    return dirs


def find(name: str) -> Impl:
    if name in NATIVE:
        exe = shutil.which(f"hdrnn-{name}")
        for d in _build_tree_bins():
            if not exe and (d / f"hdrnn-{name}").is_file():
                exe = str(d / f"hdrnn-{name}")
        if exe:
            return Impl(name, [exe])
        why = "not built (LibTorch not found at configure time)" if name == "libtorch" \
            else "not on PATH nor in the build tree (make native)"
        return Impl(name, None, f"hdrnn-{name} {why}")
    if name == "torch" and importlib.util.find_spec("torch") is None:
        return Impl(name, None, "PyTorch is not installed")
    return Impl(name, [sys.executable, "-m", PYTHON_MODULES[name]])


def discover(wanted: list[str] | None) -> tuple[list[Impl], list[Impl]]:
    """(available, skipped) among ``wanted`` (None: all)."""
    names = wanted or ALL
    found = [find(n) for n in names]
    return [i for i in found if i.argv], [i for i in found if not i.argv]


def describe_builds(available: list[Impl], data: Path) -> dict:
    """Each trainer's build as its start event says on a one-sample run: version,
    compiler, ISA; or why the probe failed."""
    out = {}
    for impl in available:
        m = measure.run(impl.argv + contract.trainer_argv(data, [2], 0, 1, 3.0, 1, 1, 1),
                        timeout=300, env=child_env(1))
        start = contract.find_event(m.events, "start")
        out[impl.name] = {"argv": impl.argv, **(contract.build_info(start) if start else
                                               {"probe_error": m.stderr_tail[-300:]})}
    return out
