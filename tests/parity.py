"""Helpers for comparing trainers: run one, read its weights and last accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from helpers import run
from hdrnn import safetensors_io

# The seven sizes of the thesis.
THESIS_SIZES = ["2", "4", "8", "32", "128", "32,16", "128,16"]

# Max |w - w_ref| after one epoch on 2,000 mnist-10k samples (test 2,000), float32.
# Observed on x86-64 (gcc 12, NumPy 2.4 with OpenBLAS, torch 2.13; "-tuned" is the
# AVX-512 -march=native build). The qemu-arm Cortex-A9 builds are checked against both
# the reference and the host build in test_cross_arm.py (C: bitwise equal to c).
#   size     c        eigen    torch    numpy-sample  libtorch  c-tuned  eigen-tuned
#   2        7.2e-7   7.2e-7   7.2e-7   7.2e-7        4.8e-6    7.2e-7   8.3e-7
#   4        8.3e-7   9.5e-7   8.3e-7   9.5e-7        2.9e-6    7.2e-7   1.1e-6
#   8        1.4e-6   8.3e-7   1.2e-6   1.7e-6        5.8e-6    1.4e-6   9.5e-7
#   32       1.7e-6   1.7e-6   1.7e-6   1.9e-6        5.0e-6    1.4e-6   1.4e-6
#   128      1.2e-4   4.2e-5   9.5e-5   4.8e-5        1.2e-4    6.3e-6   5.3e-6
#   32,16    1.7e-6   1.9e-6   1.4e-6   1.4e-6        4.3e-6    1.6e-6   1.3e-6
#   128,16   7.7e-6   3.3e-6   1.2e-5   1.7e-6        8.3e-6    8.3e-6   2.9e-6
# Differences come from summation order and the last ulp of exp (200 updates of weights
# of magnitude ~1). With 128 hidden units the N(0,1) init saturates the sigmoids, and
# a(1 - a) with a ~ 1 amplifies one-ulp differences, hence its looser bound. Both bounds
# keep a margin of ~6x over the worst observation and stay far below the effect of any
# real error (one missed or doubled update moves weights by lr/B * grad ~ 1e-2).
TOLERANCE = {"128": 1e-3}
DEFAULT_TOLERANCE = 1e-4
ACCURACY_POINTS = 0.5  # percentage points


def tolerance(hidden: str) -> float:
    return TOLERANCE.get(hidden, DEFAULT_TOLERANCE)


def train(cmd: list[str], data: Path, hidden: str, out: Path, epochs: int = 1,
          train_limit: int = 2000, test_limit: int | None = None,
          timeout: float = 600) -> tuple[dict[str, np.ndarray], float | None]:
    args = cmd + ["--data", str(data), "--hidden", hidden, "--epochs", str(epochs),
                  "--train-limit", str(train_limit), "--weights-out", str(out)]
    if test_limit:
        args += ["--test-limit", str(test_limit)]
    r = run(args, timeout=timeout)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}: {r.stderr}"
    events = [json.loads(line) for line in r.stdout.splitlines()]
    epochs_ev = [e for e in events if e["event"] == "epoch"]
    return safetensors_io.load(out), (epochs_ev[-1]["accuracy"] if epochs_ev else None)


def max_abs_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert a.keys() == b.keys()
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
