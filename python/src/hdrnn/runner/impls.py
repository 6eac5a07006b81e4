"""Find the trainers that can run here, say why the others cannot, and name the build
each run used."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import contract

ALL = ["c", "eigen", "libtorch", "numpy", "numpy-sample", "torch"]
NATIVE = {"c", "eigen", "libtorch"}
# Trainers with --data-mode stream: as "NAME-stream" they are implementations of their
# own in a session (their records, tables and figures beside the in-memory ones).
STREAMING = ["c", "eigen"]
STREAM_SUFFIX = contract.STREAM_SUFFIX
KNOWN = ALL + [n + STREAM_SUFFIX for n in STREAMING]
THREADED = {"libtorch", "torch"}  # trainers that take --threads
PYTHON_MODULES = {"numpy": "hdrnn.train_numpy", "numpy-sample": "hdrnn.train_numpy_sample",
                  "torch": "hdrnn.train_torch"}


@dataclass
class Impl:
    name: str
    argv: list[str] | None  # None: unavailable
    reason: str = ""

    @property
    def base(self) -> str:
        """The trainer: c for c-stream."""
        return self.name.removesuffix(STREAM_SUFFIX)

    @property
    def threads(self) -> bool:
        return self.base in THREADED

    @property
    def binary(self) -> str | None:
        """The program that runs: the native executable, or the Python module."""
        if not self.argv:
            return None
        return self.argv[0] if self.base in NATIVE else self.argv[-1]

    def build_of(self, start: dict) -> str:
        """portable, host-tuned or neon for a native build (from its start event), python
        for the Python trainers, unknown when the trainer said nothing."""
        if self.base not in NATIVE:
            return "python"
        if not start:
            return "unknown"
        if start.get("build") == "host-tuned":
            return "host-tuned"
        return "neon" if start.get("simd") == "neon" else "portable"


def source_build_bin() -> Path | None:
    """build/native/bin of the source checkout this package was installed from."""
    root = Path(__file__).resolve().parents[4]
    if (root / "native" / "CMakeLists.txt").is_file():
        return root / "build" / "native" / "bin"
    return None


def find(name: str, native_bin: Path | None = None) -> Impl:
    """native_bin given: the native trainers come from there and nowhere else, so that a
    trainer on PATH never replaces the build that was asked for."""
    if name.endswith(STREAM_SUFFIX):
        base = find(name.removesuffix(STREAM_SUFFIX), native_bin)
        return Impl(name, base.argv + ["--data-mode", "stream"] if base.argv else None,
                    base.reason)
    if name in NATIVE:
        exe = f"hdrnn-{name}"
        if native_bin is not None:
            path = native_bin / exe
            if path.is_file() and os.access(path, os.X_OK):
                return Impl(name, [str(path.resolve())])
            return Impl(name, None, f"{path} not found (--native-bin)")
        found = shutil.which(exe)
        tree = source_build_bin()
        if not found and tree and (tree / exe).is_file():
            found = str(tree / exe)
        if found:
            return Impl(name, [str(Path(found).resolve())])
        why = "not built (LibTorch not found at configure time)" if name == "libtorch" \
            else "not on PATH nor in the build tree (make native)"
        return Impl(name, None, f"{exe} {why}")
    if name == "torch" and importlib.util.find_spec("torch") is None:
        return Impl(name, None, "PyTorch is not installed")
    return Impl(name, [sys.executable, "-m", PYTHON_MODULES[name]])


def discover(wanted: list[str] | None, native_bin: Path | None = None
             ) -> tuple[list[Impl], list[Impl]]:
    """(available, skipped) among ``wanted`` (None: all)."""
    found = [find(n, native_bin) for n in (wanted or ALL)]
    return [i for i in found if i.argv], [i for i in found if not i.argv]
