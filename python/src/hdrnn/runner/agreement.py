"""The agreement check: do the implementations compute the same thing?

Differences between two trainers that follow the contract come only from float
rounding and summation order, and SGD with lr 3.0 amplifies them until, after a few
epochs, trajectories are unrelated (1 ulp in one initial weight grows to 0.3 in the
weights within an epoch at 784-128-10). So final accuracies say nothing about
correctness. What does: with the same seed, early in training (50 batches), the weights
of every implementation against the NumPy reference, within the parity tolerance; a real
error (a missed or doubled update, a wrong step) moves weights by lr/B * grad ~ 1e-2.
"""

from __future__ import annotations


import numpy as np

from .. import contract, safetensors_io
from ..errors import DataError
from ..store import ResultsDir
from .progress import say

PROG = "hdrnn-run"
CHECK_TRAIN = 500   # training samples of a check run: 50 batches of 10, one epoch
CHECK_TEST = 500
REFERENCE = "numpy"

# Max |w - w_ref| after 50 batches, float32. Measured on x86-64 (gcc 12, NumPy 2.4 with
# OpenBLAS, torch 2.13) over the seven thesis sizes and seeds 1-5 of the repetition
# stream, every implementation and the host-tuned builds (table in docs/runner.md): at
# most 3.8e-6, except 784-128-10 with up to 2.9e-4. That network saturates its sigmoids
# with the N(0, 1) init, and a(1 - a) with a ~ 1 amplifies one-ulp differences; it gets
# the looser bound. Both keep a margin of 7x or more; a real error moves weights by
# ~1e-2 (the injected bug of tests/test_agreement.py: 2e-1).
TOLERANCE = 1e-4
TOLERANCE_WIDE = 2e-3  # a single hidden layer of 100 or more neurons


def tolerance(hidden: list[int]) -> float:
    return TOLERANCE_WIDE if len(hidden) == 1 and hidden[0] >= 100 else TOLERANCE


def compare(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict:
    """Per tensor, the mean squared and the largest absolute difference."""
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


def max_abs(tensors: dict) -> float | None:
    """The largest difference over the tensors; None when they cannot be compared."""
    if "error" in tensors or any("error" in t for t in tensors.values()):
        return None
    return max(t["max_abs"] for t in tensors.values())


def check_id(impl: str, hidden: list[int], k: int) -> str:
    return f"check__{impl}__h{contract.hidden_tag(hidden)}__s{k}"


def verdicts(store: ResultsDir, records: list[dict], names: list[str]) -> dict:
    """agreement.json from the check runs' records (k: the rep member, the seed's
    index): every implementation against the reference, per network and seed."""
    ref = REFERENCE if REFERENCE in names else names[0]
    by = {(r["impl"], tuple(r["hidden"]), r["rep"]): r for r in records}
    rows, seeds = [], {}
    for (impl, hidden, k), rec in by.items():
        seeds[k] = rec["seed"]
        if impl == ref:
            continue
        ref_rec = by.get((ref, hidden, k))
        ref_w, w = _weights(store, ref_rec), _weights(store, rec)
        row = {"impl": impl, "reference": ref, "hidden": list(hidden), "seed": rec["seed"],
               "inputs": rec["inputs"], "classes": rec["classes"],
               "tolerance": tolerance(list(hidden))}
        if ref_w is None or w is None:
            who = ref if ref_w is None else impl
            row.update(ok=False, max_abs=None, error=f"{who}'s check run failed")
        else:
            tensors = compare(w, ref_w)
            diff = max_abs(tensors)
            row.update(max_abs=diff, tensors=tensors,
                       ok=diff is not None and diff < row["tolerance"])
        rows.append(row)
    return {"epochs": 1, "train": CHECK_TRAIN, "test": CHECK_TEST, "reference": ref,
            "seeds": [seeds[k] for k in sorted(seeds)], "rows": rows,
            "failures": [r for r in rows if not r["ok"]]}


def _weights(store: ResultsDir, rec: dict | None) -> dict | None:
    if not rec or rec.get("status") != "ok" or "weights" not in rec:
        return None
    try:
        return safetensors_io.load(store.root / rec["weights"])
    except DataError:
        return None


def note_failures(result: dict) -> None:
    """Failures are said even with --quiet: they invalidate the session's comparison."""
    for f in result["failures"]:
        why = f.get("error") or (f"max |w - w_ref| {f['max_abs']:.3g} >= "
                                 f"{f['tolerance']:g}")
        say(f"{PROG}: AGREEMENT CHECK FAILED: {f['impl']} vs {f['reference']} at "
            f"{contract.network_of(f)} seed {f['seed']}: {why}")
