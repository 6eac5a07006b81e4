"""A user's own data and network shape, on two real data sets that ship inside
scikit-learn (no download): the 8x8 digits (1,797 samples, 64 features, 10 classes) as
.npy and the breast-cancer set (569 samples, 30 float features, 2 classes) as CSV, both
through `hdrnn-data import --standardize`. Every trainer against the NumPy reference as
for MNIST (tests/test_parity.py), and hdrnn-c / hdrnn-eigen's stream mode bitwise equal
to their memory mode."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from helpers import run, trainer_cmd
from parity import max_abs_diff
from hdrnn import idx, safetensors_io

sklearn_datasets = pytest.importorskip("sklearn.datasets")

OTHERS = ["c", "eigen", "torch", "libtorch", "numpy-sample", "c-tuned", "eigen-tuned"]
# Max |w - w_ref| after 3 epochs, hidden 16, float32, observed on x86-64: digits 2.9e-6
# (libtorch 8.8e-6), breast cancer 7.2e-7 (libtorch 9.1e-6): the MNIST bound of parity.py.
TOLERANCE = 1e-4
SETS = {"digits": (64, 10, 1797), "breast-cancer": (30, 2, 569)}


def _digits(tmp):
    d = sklearn_datasets.load_digits()
    np.save(tmp / "x.npy", d.data)
    np.save(tmp / "y.npy", d.target)
    return ["--train", str(tmp / "x.npy"), "--train-labels", str(tmp / "y.npy")]


def _breast_cancer(tmp):
    b = sklearn_datasets.load_breast_cancer()
    with open(tmp / "bc.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*b.feature_names, "malignant"])
        for x, y in zip(b.data, b.target):
            w.writerow([repr(float(v)) for v in x] + [int(y)])
    return ["--train", str(tmp / "bc.csv")]


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """name -> the imported data directory."""
    out = {}
    for name, make in (("digits", _digits), ("breast-cancer", _breast_cancer)):
        tmp = tmp_path_factory.mktemp(name)
        dest = tmp / "set"
        r = run(["hdrnn-data", "import", str(dest), "--standardize"] + make(tmp))
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(dest)
        out[name] = dest
    return out


def _train(impl, data, out, epochs, extra=()):
    r = run(trainer_cmd(impl) + ["--data", str(data), "--hidden", "16", "--epochs",
                                 str(epochs), "--weights-out", str(out), *extra], timeout=600)
    assert r.returncode == 0, f"{impl}: exit {r.returncode}: {r.stderr}"
    events = [json.loads(line) for line in r.stdout.splitlines()]
    return safetensors_io.load(out), events


@pytest.fixture(scope="module")
def reference(own, tmp_path_factory):
    base, cache = tmp_path_factory.mktemp("ref"), {}

    def get(name, epochs):
        if (name, epochs) not in cache:
            cache[name, epochs] = _train("numpy", own[name], base / f"{name}-{epochs}.st",
                                         epochs)
        return cache[name, epochs]
    return get


@pytest.mark.parametrize("name", sorted(SETS))
def test_import_gives_the_real_shape(own, name):
    inputs, classes, total = SETS[name]
    d = idx.load(own[name])
    assert (d.inputs, d.classes) == (inputs, classes)
    assert d.train.features.dtype == np.float32
    assert len(d.train.labels) + len(d.test.labels) == total
    assert len(d.test.labels) == round(0.2 * total)
    # standardized with the training set's statistics
    assert np.allclose(d.train.features.mean(axis=0), 0, atol=1e-5)
    rec = json.loads((own[name] / "import.json").read_text())
    assert rec["classes"] == classes and len(rec["standardize"]["mean"]) == inputs


@pytest.mark.parametrize("name", sorted(SETS))
@pytest.mark.parametrize("impl", OTHERS)
def test_own_data_parity(impl, name, own, reference, tmp_path):
    inputs, classes, _ = SETS[name]
    ref0, _ = reference(name, 0)
    got0, events = _train(impl, own[name], tmp_path / "w0.st", 0)
    start = events[0]
    assert (start["inputs"], start["classes"]) == (inputs, classes)
    assert got0["layers.1.weight"].shape == (classes, 16)
    assert got0["layers.0.weight"].shape == (16, inputs)
    for k in ref0:
        assert got0[k].tobytes() == ref0[k].tobytes(), k
    ref, ref_events = reference(name, 3)
    got, events = _train(impl, own[name], tmp_path / "w.st", 3)
    diff = max_abs_diff(ref, got)
    assert diff < TOLERANCE, f"{impl} {name}: max |diff| {diff:.3g}"
    # accuracy: the same within one test sample
    assert abs(events[-2]["correct"] - ref_events[-2]["correct"]) <= 1


@pytest.mark.parametrize("name", ["digits", "breast-cancer", "mnist-10k"])
@pytest.mark.parametrize("impl", ["c", "eigen"])
def test_stream_mode_is_bitwise_memory_mode(impl, name, own, mnist10k, tmp_path):
    data = mnist10k if name == "mnist-10k" else own[name]
    limit = ["--train-limit", "1500", "--test-limit", "1100"] if name == "mnist-10k" else []
    mem, ev_mem = _train(impl, data, tmp_path / "m.st", 2, limit)
    got, ev = _train(impl, data, tmp_path / "s.st", 2, limit + ["--data-mode", "stream"])
    assert ev[0]["data_mode"] == "stream" and ev_mem[0]["data_mode"] == "memory"
    assert [e.get("correct") for e in ev[1:-1]] == [e.get("correct") for e in ev_mem[1:-1]]
    for k in mem:
        assert got[k].tobytes() == mem[k].tobytes(), k


@pytest.mark.parametrize("impl", ["numpy", "c", "eigen", "libtorch"])
def test_classes_option_widens_the_output(impl, own, tmp_path):
    """--classes larger than the labels need: more outputs (a class not seen yet)."""
    _, events = _train(impl, own["breast-cancer"], tmp_path / "w.st", 1, ["--classes", "3"])
    assert events[0]["classes"] == 3
    assert safetensors_io.load(tmp_path / "w.st")["layers.1.bias"].shape == (3,)
