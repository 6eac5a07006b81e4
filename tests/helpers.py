"""Shared test helpers: where the trainers are and how to run them.

`make test` sets HDRNN_REQUIRE_ALL=1: then a trainer that is not built fails the tests
instead of skipping them, so CI cannot pass by building less.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NATIVE_BIN = Path(os.environ.get("HDRNN_NATIVE_BIN", ROOT / "build" / "native" / "bin"))
# The host-tuned build (`make native-tuned`): its own kernels (AVX-512 masked loads, FMA)
TUNED_BIN = Path(os.environ.get("HDRNN_TUNED_BIN", ROOT / "build" / "tuned" / "native" / "bin"))
os.environ["PATH"] = os.pathsep.join([str(NATIVE_BIN), str(Path(sys.executable).parent),
                                      os.environ.get("PATH", "")])
# Trainers' BLAS and torch run one thread in tests: the parity numbers then do not
# depend on the machine's core count.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

REQUIRE_ALL = os.environ.get("HDRNN_REQUIRE_ALL") == "1"
# `make fuzz` sets HDRNN_FULL=1: every bad input on every trainer, every agreement seed.
FULL = os.environ.get("HDRNN_FULL") == "1"

TRAINERS = {
    "numpy": "hdrnn-numpy",
    "numpy-sample": "hdrnn-numpy-sample",
    "c": "hdrnn-c",
    "eigen": "hdrnn-eigen",
    "torch": "hdrnn-torch",
    "libtorch": "hdrnn-libtorch",
    "c-tuned": str(TUNED_BIN / "hdrnn-c"),
    "eigen-tuned": str(TUNED_BIN / "hdrnn-eigen"),
}
# Optional everywhere: LibTorch only builds where find_package(Torch) succeeds.
OPTIONAL = {"libtorch"}
# The two command-line and data readers every trainer uses: C (hdrnn_opts.c, hdrnn_idx.c)
# and Python (trainer.py, idx.py).
NATIVE_IMPLS = ["c", "eigen", "libtorch"]
PYTHON_IMPLS = ["numpy", "numpy-sample", "torch"]


def sampled(cases) -> list[tuple[str, str]]:
    """(impl, case) pairs for a table of bad inputs. Each case runs on one trainer of
    each reader, C and Python, rotating so that every trainer gets its share (two
    launches a case instead of six); `make fuzz` (HDRNN_FULL=1) runs every case on
    every trainer."""
    impls = NATIVE_IMPLS + PYTHON_IMPLS
    if FULL:
        return [(i, c) for i in impls for c in sorted(cases)]
    return [(group[k % 3], c) for k, c in enumerate(sorted(cases))
            for group in (NATIVE_IMPLS, PYTHON_IMPLS)]


def _torch_importable() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def missing(msg: str) -> None:
    """Something a test needs is not built or installed: skip, or fail under
    HDRNN_REQUIRE_ALL (as make test sets)."""
    if REQUIRE_ALL:
        pytest.fail(msg)
    pytest.skip(msg)


def trainer_cmd(impl: str) -> list[str]:
    """The trainer's command, or skip (fail under HDRNN_REQUIRE_ALL) when it is absent."""
    exe = shutil.which(TRAINERS[impl])
    missing = exe is None or (impl == "torch" and not _torch_importable())
    if missing:
        target = "native-tuned" if impl.endswith("-tuned") else "native"
        msg = f"{TRAINERS[impl]} is not available (build it with `make {target}`)"
        if REQUIRE_ALL and impl not in OPTIONAL:
            pytest.fail(msg)
        pytest.skip(msg)
    return [exe]


def run(cmd: list[str], timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def dispositions(**how):
    """A preexec_fn that sets a child's signal dispositions explicitly: SIGINT, SIGTERM
    and SIGHUP default, then those given (SIGHUP=signal.SIG_IGN). Every test that
    signals a child uses it, since the test itself may run with some ignored (nohup,
    a detached job ignores SIGINT) and the child would inherit that."""
    def setup():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        for name, disp in how.items():
            signal.signal(getattr(signal, name), disp)
    return setup
