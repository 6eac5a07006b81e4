"""The IDX reader: good files round-trip; each kind of damage is a one-line DataError."""

import numpy as np
import pytest

from helpers import run
from corrupt import CORRUPT_ARGS, CORRUPTIONS, make_corrupt, write_small
from hdrnn import idx
from hdrnn.errors import DataError


def test_roundtrip(tmp_path):
    write_small(tmp_path, 30, 12)
    d = idx.load(tmp_path)
    assert d.train.features.shape == (30, 784) and d.train.features.dtype == np.uint8
    assert d.test.labels.tolist() == [i % 10 for i in range(12)]
    lim = idx.load(tmp_path, train_limit=7, test_limit=100)
    assert len(lim.train.labels) == 7 and len(lim.test.labels) == 12


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_corrupt_raises_one_line(tmp_path, kind):
    d, fname, words = make_corrupt(tmp_path, kind)
    classes = int(CORRUPT_ARGS[kind][1]) if kind in CORRUPT_ARGS else None
    with pytest.raises(DataError) as e:
        idx.load(d, classes=classes)
    msg = str(e.value)
    assert "\n" not in msg and fname in msg and words in msg


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_verify_cli_exit_3(tmp_path, kind):
    d, fname, words = make_corrupt(tmp_path, kind)
    r = run(["hdrnn-data", "verify", str(d)] + CORRUPT_ARGS.get(kind, []))
    assert r.returncode == 3
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fname in lines[0] and words in lines[0], r.stderr


def test_verify_cli_ok(tmp_path):
    write_small(tmp_path)
    r = run(["hdrnn-data", "verify", str(tmp_path)])
    assert r.returncode == 0 and "ok" in r.stdout
