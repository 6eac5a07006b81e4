"""Every trainer against the NumPy reference at the seven thesis sizes: bitwise equal
initial weights, and after one epoch on 2,000 samples weights within the tolerance of
parity.py and accuracy within 0.5 percentage points."""

import numpy as np
import pytest

from helpers import trainer_cmd
from parity import ACCURACY_POINTS, THESIS_SIZES, max_abs_diff, tolerance, train

OTHERS = ["c", "eigen", "torch", "libtorch", "numpy-sample", "c-tuned", "eigen-tuned"]


@pytest.fixture(scope="module")
def reference(mnist10k, tmp_path_factory):
    """NumPy reference results per size, computed once."""
    cache = {}
    base = tmp_path_factory.mktemp("ref")

    def get(hidden: str, epochs: int):
        key = (hidden, epochs)
        if key not in cache:
            cache[key] = train(trainer_cmd("numpy"), mnist10k, hidden,
                               base / f"{hidden}-{epochs}.safetensors", epochs=epochs)
        return cache[key]
    return get


@pytest.mark.parametrize("hidden", THESIS_SIZES)
@pytest.mark.parametrize("impl", OTHERS)
def test_initial_weights_bitwise(impl, hidden, mnist10k, reference, tmp_path):
    cmd = trainer_cmd(impl)
    ref, _ = reference(hidden, 0)
    got, _ = train(cmd, mnist10k, hidden, tmp_path / "w.safetensors", epochs=0)
    for name in ref:
        assert got[name].dtype == np.float32
        assert got[name].tobytes() == ref[name].tobytes(), name


@pytest.mark.parametrize("hidden", THESIS_SIZES)
@pytest.mark.parametrize("impl", OTHERS)
def test_one_epoch_agrees(impl, hidden, mnist10k, reference, tmp_path):
    cmd = trainer_cmd(impl)
    ref, ref_acc = reference(hidden, 1)
    got, acc = train(cmd, mnist10k, hidden, tmp_path / "w.safetensors", epochs=1)
    diff = max_abs_diff(ref, got)
    assert diff < tolerance(hidden), f"{impl} {hidden}: max |diff| {diff:.3g}"
    assert abs(acc - ref_acc) * 100 <= ACCURACY_POINTS
