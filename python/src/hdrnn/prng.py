"""SplitMix64 and the derived normals and shuffle of the trainer contract.

Every trainer, in every language, derives its initial weights and its sample order from
these definitions, so implementations differ only in float rounding and summation order.
The normals use ``math.log``/``math.cos`` (the platform libm, as the C trainers do) and
not NumPy's vectorised versions, which may differ in the last ulp and then flip a
float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1
_TWO_POW_M53 = 2.0 ** -53
NORMALS_CHUNK = 1 << 16  # normals per step: bounds the Python lists of Box-Muller


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def _mix_array(z: np.ndarray) -> np.ndarray:
    """Vectorised ``mix`` over uint64 (NumPy integer arrays wrap modulo 2^64)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class SplitMix64:
    """Counter-based stream: the n-th output (n = 1, 2, ...) is mix(seed + n*GOLDEN)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + GOLDEN) & MASK64
        return mix(self.state)

    def next_block(self, count: int) -> np.ndarray:
        """The next ``count`` outputs as a uint64 array."""
        n = np.arange(1, count + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            z = np.uint64(self.state) + n * np.uint64(GOLDEN)
            out = _mix_array(z)
        self.state = (self.state + count * GOLDEN) & MASK64
        return out

    def normals(self, count: int, out: np.ndarray | None = None) -> np.ndarray:
        """``count`` standard normals by Box-Muller on output pairs, computed in float64
        and stored into ``out`` (float64 by default; a float32 array rounds them). In
        chunks, so the memory beyond ``out`` stays small whatever the count."""
        if out is None:
            out = np.empty(count, dtype=np.float64)
        log, cos, sqrt, two_pi = math.log, math.cos, math.sqrt, 2.0 * math.pi
        for s in range(0, count, NORMALS_CHUNK):
            n = min(NORMALS_CHUNK, count - s)
            raw = self.next_block(2 * n)
            a = (raw[0::2] >> np.uint64(11)).tolist()
            b = (raw[1::2] >> np.uint64(11)).tolist()
            # Integers below 2^53 convert to float64 exactly; the scale is a power of two.
            out[s:s + n] = [sqrt(-2.0 * log((ai + 1) * _TWO_POW_M53)) *
                            cos(two_pi * (bi * _TWO_POW_M53)) for ai, bi in zip(a, b)]
        return out


def init_params(sizes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Initial (weight [out, in], bias [out]) float32 pairs for the layer sizes
    (inputs, hidden..., classes), input layer first."""
    rng = SplitMix64(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normals(n_out * n_in, np.empty(n_out * n_in, np.float32)).reshape(n_out, n_in)
        b = rng.normals(n_out, np.empty(n_out, np.float32))
        params.append((w, b))
    return params


class Shuffler:
    """The contract's per-epoch Fisher-Yates over a persistent order (seed + 1)."""

    def __init__(self, count: int, seed: int) -> None:
        self.rng = SplitMix64(seed + 1)
        self.order = list(range(count))

    def next_epoch(self) -> np.ndarray:
        order, nxt = self.order, self.rng.next
        for i in range(len(order) - 1, 0, -1):
            j = nxt() % (i + 1)
            order[i], order[j] = order[j], order[i]
        return np.asarray(order, dtype=np.int64)
