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

from pathlib import Path

import numpy as np

from .. import contract, safetensors_io
from ..errors import DataError
from . import measure
from .impls import Impl
from .presets import Plan
from .progress import Progress, say
from .record import child_env, describe, record_of, trainer_argv
from .session import Session

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


def run_check(plan: Plan, session: Session, available: list[Impl], data: Path,
              threads: int, timeout: float, seeds: int, quiet: bool) -> dict:
    """Check runs (saved like any run, so --resume skips finished ones), then the
    verdicts in agreement.json. Returns that file's content."""
    check_plan = plan.with_overrides(epochs=1, train_limit=CHECK_TRAIN, test_limit=CHECK_TEST)
    seed_list = [plan.seed_of(k) for k in range(1, seeds + 1)]
    jobs = [(impl, hidden, k, seed) for k, seed in enumerate(seed_list, 1)
            for hidden in plan.hidden for impl in available]
    progress = Progress(len(jobs), quiet)
    env = child_env(threads)
    for impl, hidden, k, seed in jobs:
        rid = check_id(impl.name, hidden, k)
        rec = session.load_run(rid)
        if rec is None:
            w = session.weights_dir / f"{rid}.safetensors"
            argv = trainer_argv(impl, check_plan, data, hidden, seed, threads)
            argv += ["--weights-out", str(w)]
            m = measure.run(argv, timeout=timeout, env=env)
            rec = record_of(rid, impl, hidden, k, seed, check_plan, data, argv, m, {},
                            {"kind": "check", "weights": str(w.relative_to(session.root))})
            session.save_run(rec)
        progress.done("check " + describe(rec))
    progress.close()
    result = verdicts(session, plan, available, seed_list)
    session.save("agreement.json", result)
    return result


def verdicts(session: Session, plan: Plan, available: list[Impl], seeds: list[int]) -> dict:
    names = [i.name for i in available]
    ref = REFERENCE if REFERENCE in names else names[0]
    rows = []
    for k, seed in enumerate(seeds, 1):
        for hidden in plan.hidden:
            ref_rec = session.load_run(check_id(ref, hidden, k))
            ref_w = _weights(session, ref_rec)
            for name in names:
                if name == ref:
                    continue
                rec = session.load_run(check_id(name, hidden, k))
                w = _weights(session, rec)
                row = {"impl": name, "reference": ref, "hidden": hidden, "seed": seed,
                       "inputs": plan.inputs, "classes": plan.classes,
                       "tolerance": tolerance(hidden)}
                if ref_w is None or w is None:
                    who = ref if ref_w is None else name
                    row.update(ok=False, max_abs=None, error=f"{who}'s check run failed")
                else:
                    tensors = compare(w, ref_w)
                    diff = max_abs(tensors)
                    row.update(max_abs=diff, tensors=tensors,
                               ok=diff is not None and diff < row["tolerance"])
                rows.append(row)
    return {"epochs": 1, "train": CHECK_TRAIN, "test": CHECK_TEST, "reference": ref,
            "seeds": seeds, "rows": rows, "failures": [r for r in rows if not r["ok"]]}


def _weights(session: Session, rec: dict | None) -> dict | None:
    if not rec or rec.get("status") != "ok" or "weights" not in rec:
        return None
    try:
        return safetensors_io.load(session.root / rec["weights"])
    except DataError:
        return None


def note_failures(result: dict) -> None:
    """Failures are said even with --quiet: they invalidate the session's comparison."""
    for f in result["failures"]:
        why = f.get("error") or (f"max |w - w_ref| {f['max_abs']:.3g} >= "
                                 f"{f['tolerance']:g}")
        say(f"{PROG}: AGREEMENT CHECK FAILED: {f['impl']} vs {f['reference']} at "
            f"{contract.network_of(f)} seed {f['seed']}: {why}")
