"""The Python PRNG reproduces ../shared/design/prng-vectors.json exactly."""

import json

import numpy as np
import pytest

from helpers import ROOT
from hdrnn import contract, prng

DESIGN_PATH = ROOT.parent / "shared" / "design" / "prng-vectors.json"
# A copy, so that the vectors are checked in any checkout; test_copy_is_current keeps it
# identical to the design's file wherever that sits beside the checkout.
COPY_PATH = ROOT / "tests" / "data" / "prng-vectors.json"


@pytest.fixture(scope="module")
def vectors():
    return json.loads(COPY_PATH.read_text())


def test_copy_is_current():
    if not DESIGN_PATH.is_file():
        pytest.skip(f"{DESIGN_PATH} not found (shared/ sits beside the checkout)")
    assert json.loads(DESIGN_PATH.read_text()) == json.loads(COPY_PATH.read_text())


def test_raw_outputs(vectors):
    rng = prng.SplitMix64(1)
    assert [str(rng.next()) for _ in range(4)] == vectors["splitmix64_seed1_first4"]


def test_block_equals_scalar_stream():
    a, b = prng.SplitMix64(12345), prng.SplitMix64(12345)
    block = b.next_block(100).tolist()
    assert block == [a.next() for _ in range(100)]
    assert a.next() == b.next()  # the block advanced the state by exactly 100


def test_normals_float64(vectors):
    got = prng.SplitMix64(1).normals(6).tolist()
    assert [repr(v) for v in got] == vectors["normal_seed1_first6_float64"]


def test_shuffle_three_epochs(vectors):
    s = prng.Shuffler(10, seed=1)  # the shuffle stream's seed is --seed + 1 = 2
    assert [s.next_epoch().tolist() for _ in range(3)] == \
        vectors["shuffle_seed2_T10_after_epochs_1_2_3"]


def test_init_784_30_10(vectors):
    (w0, b0), (w1, b1) = prng.init_params(contract.layer_sizes([30]), 1)
    assert w0.dtype == np.float32 and w0.shape == (30, 784) and b1.shape == (10,)
    ref = vectors["init_784_30_10_seed1"]
    assert w0[0, 0:3].tolist() == ref["layers.0.weight[0][0:3]"]
    assert w0[29, 781:784].tolist() == ref["layers.0.weight[29][781:784]"]
    assert b0[0:3].tolist() == ref["layers.0.bias[0:3]"]
    assert w1[0, 0:3].tolist() == ref["layers.1.weight[0][0:3]"]
    assert b1[7:10].tolist() == ref["layers.1.bias[7:10]"]


@pytest.mark.parametrize("hidden,count", [([2], 1600), ([4], 3190), ([8], 6370),
                                          ([32], 25450), ([128], 101770),
                                          ([32, 16], 25818), ([128, 16], 102714)])
def test_param_counts(hidden, count):
    assert contract.param_count(hidden) == count
    sizes = contract.layer_sizes(hidden)
    assert sum(w.size + b.size for w, b in prng.init_params(sizes, 1)) == count
