"""The IDX readers against hostile bytes. Default run: the kept corpus (tests/data/
fuzz-idx, found by make fuzz's libFuzzer run over the C reader) through both readers,
and a few hundred generated files through the Python one. make fuzz runs the generated
part with HDRNN_FUZZ_EXAMPLES (20,000) and libFuzzer for a time budget."""

from __future__ import annotations

import os
import shutil
import struct

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from corrupt import write_small  # noqa: E402
from helpers import ROOT, run, trainer_cmd  # noqa: E402
from hdrnn import contract, idx  # noqa: E402
from hdrnn.errors import DataError  # noqa: E402

CORPUS = sorted((ROOT / "tests" / "data" / "fuzz-idx").iterdir())
EXAMPLES = int(os.environ.get("HDRNN_FUZZ_EXAMPLES", "300"))
NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def _dir_with(tmp, data: bytes) -> os.PathLike:
    """As the libFuzzer harness does: byte 0 picks the file, byte 1 the limit."""
    d = write_small(tmp, 2, 2)
    which = data[0] % 4 if data else 0
    (d / NAMES[which]).write_bytes(data[2:] if len(data) > 2 else data)
    return d


def _python_reader(d, limit):
    try:
        ds = idx.load(d, limit or None, limit or None)
    except DataError as e:
        assert "\n" not in str(e) and str(d) in str(e)
        return
    assert ds.train.features.shape[1] == ds.test.features.shape[1] == ds.inputs >= 1
    assert len(ds.train.labels) >= 1 and 2 <= ds.classes <= contract.MAX_CLASSES
    assert int(ds.train.labels.max()) < ds.classes and int(ds.test.labels.max()) < ds.classes
    if ds.train.features.dtype == np.float32:
        assert np.isfinite(ds.train.features).all() and np.isfinite(ds.test.features).all()


@pytest.mark.parametrize("case", CORPUS, ids=[p.name[:12] for p in CORPUS])
def test_corpus_through_both_readers(case, tmp_path):
    data = case.read_bytes()
    d = _dir_with(tmp_path / "d", data)
    limit = data[1] % 4 if len(data) > 1 else 0
    _python_reader(d, limit)
    args = ["--data", str(d), "--epochs", "1"] + (["--train-limit", str(limit),
                                                   "--test-limit", str(limit)] if limit else [])
    r = run(trainer_cmd("c") + args, timeout=60)
    assert r.returncode in (0, 3), (r.returncode, r.stderr)
    if r.returncode == 3:
        assert len(r.stderr.strip().splitlines()) == 1


HEADERS = st.sampled_from([0x803, 0x801, 0x802, 0x0D03, 0x0D02, 0x804, 0x0D01, 0, 0xFFFFFFFF])
COUNTS = st.sampled_from([0, 1, 2, 3, 2 ** 31, 2 ** 32 - 1])


@st.composite
def idx_files(draw):
    """Plausible headers with hostile counts, dimensions and lengths, or raw bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=64))
    magic, count = draw(HEADERS), draw(COUNTS)
    rows, cols = draw(st.sampled_from([28, 0, 1, 2 ** 16])), draw(st.sampled_from([28, 0, 7]))
    header = struct.pack(">II", magic, count)
    dims = magic & 0xFF
    if 2 <= dims <= 4:  # the feature dimensions a features header has
        header += struct.pack(f">{dims - 1}I", *[rows, cols, 3][:dims - 1])
    body = draw(st.binary(max_size=4 * 784)) + bytes(draw(st.integers(0, 2 * 784)))
    return header + body


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(which=st.integers(0, 3), limit=st.integers(0, 3), blob=idx_files())
def test_python_reader_never_fails_otherwise(tmp_path_factory, which, limit, blob):
    d = write_small(tmp_path_factory.mktemp("f"), 2, 2)
    (d / NAMES[which]).write_bytes(blob)
    _python_reader(d, limit)
    shutil.rmtree(d)


def test_a_label_file_cannot_smuggle_classes(tmp_path):
    """Without --classes a label 10 makes an 11-class network (the class count is the
    data's); with --classes 10 it is refused."""
    d = write_small(tmp_path / "d", 2, 2)
    labels = np.array([0, 10], dtype=np.uint8)
    (d / NAMES[3]).write_bytes(struct.pack(">II", 0x801, 2) + labels.tobytes())
    assert idx.load(d).classes == 11
    with pytest.raises(DataError, match="label 10 at index 1 outside the 10 classes"):
        idx.load(d, classes=10)
