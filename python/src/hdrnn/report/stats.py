"""Summaries over repetitions: the median, and a bootstrap interval for it.

The interval is the percentile bootstrap of the median (2,000 resamples, a fixed seed so
a report is reproducible), at 95 %. With a handful of repetitions it is wide and that is
the point: it says how much the repetitions disagree. Below MIN_REPS repetitions there
is no interval: a bootstrap of two values only ever draws those two, so its "interval"
is their range, not a statement about the noise.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95
MIN_REPS = 3


def median(xs) -> float:
    return float(np.median(np.asarray(xs, dtype=np.float64)))


def _medians(xs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(xs), size=(RESAMPLES, len(xs)))
    return np.median(xs[picks], axis=1)


def median_ci(xs) -> tuple[float, float] | None:
    """95 % percentile-bootstrap interval of the median; None below MIN_REPS values."""
    xs = np.asarray(xs, dtype=np.float64)
    if len(xs) < MIN_REPS:
        return None
    meds = _medians(xs, np.random.default_rng(0))
    a = (1 - LEVEL) / 2
    return float(np.quantile(meds, a)), float(np.quantile(meds, 1 - a))


def ratio_ci(base, new) -> tuple[float, tuple[float, float] | None]:
    """median(new) / median(base) and its 95 % bootstrap interval (both resampled);
    no interval unless both sides have MIN_REPS values."""
    b = np.asarray(base, dtype=np.float64)
    n = np.asarray(new, dtype=np.float64)
    ratio = median(n) / median(b)
    if min(len(b), len(n)) < MIN_REPS:
        return ratio, None
    rng = np.random.default_rng(0)
    ratios = _medians(n, rng) / _medians(b, rng)
    a = (1 - LEVEL) / 2
    return ratio, (float(np.quantile(ratios, a)), float(np.quantile(ratios, 1 - a)))
