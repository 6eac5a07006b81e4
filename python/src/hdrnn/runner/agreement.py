"""Weight agreement between implementations (the thesis' open TODO): for each
configuration, every pair of implementations' final weights, per tensor, the mean
squared difference and the max absolute difference."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from .. import safetensors_io


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict:
    if a.keys() != b.keys():
        return {"error": f"different tensors: {sorted(a)} vs {sorted(b)}"}
    out = {}
    for name in sorted(a):
        if a[name].shape != b[name].shape:
            out[name] = {"error": f"shape {a[name].shape} vs {b[name].shape}"}
            continue
        d = a[name].astype(np.float64) - b[name].astype(np.float64)
        out[name] = {"mse": float(np.mean(d * d)), "max_abs": float(np.max(np.abs(d)))}
    return out


def pairwise(weights: dict[str, Path]) -> list[dict]:
    """weights: implementation -> safetensors file, all of one configuration."""
    loaded = {impl: safetensors_io.load(p) for impl, p in sorted(weights.items())}
    rows = []
    for x, y in itertools.combinations(sorted(loaded), 2):
        tensors = compare(loaded[x], loaded[y])
        ok = [t for t in tensors.values() if "max_abs" in t] if "error" not in tensors else []
        rows.append({"a": x, "b": y, "tensors": tensors,
                     "max_abs": max((t["max_abs"] for t in ok), default=None),
                     "mse": max((t["mse"] for t in ok), default=None)})
    return rows
