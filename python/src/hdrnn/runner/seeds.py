"""Seeds of the repetitions (docs/runner.md, "Seeds").

A trainer draws its initial weights from the SplitMix64 stream of its --seed s and its
sample order from the stream of s + 1 (docs/contract.md). The n-th output of the stream
of seed t is mix(t + n G), G the golden-ratio increment: a stream is a window of
counters n on one sequence, and adding k G to a seed moves its window k counters on.

Repetition r (1, 2, ...) therefore runs with seed s_r = (s + (r - 1) 2^40 G) mod 2^63:
- r = 1 is the plan's seed itself, so the first repetition is the contract's run;
- the init streams of different repetitions are disjoint windows 2^40 counters apart
  on the sequence of s (reducing mod 2^63 moves a window by 2^63 counters, a multiple
  of 2^40, so windows stay in distinct 2^40-counter slots for r < 2^23), and so are the
  shuffle streams on the sequence of s + 1;
- an init window and a shuffle window are G^-1 mod 2^64 counters apart at the seed
  level, which falls 1.3e11 counters from any slot boundary: no window of one meets a
  window of the other while a run draws fewer than 1.3e11 numbers (the thesis' largest
  run draws about 2e6).
"""

from __future__ import annotations

from ..contract import MAX_SEED
from ..prng import GOLDEN

SLOT = 1 << 40  # counters between the streams of consecutive repetitions


def rep_seed(seed: int, rep: int) -> int:
    """The seed of repetition rep (1-based) of a plan with seed ``seed``."""
    return (seed + (rep - 1) * SLOT * GOLDEN) % MAX_SEED
