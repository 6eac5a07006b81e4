"""Small IDX data sets, valid and broken in each way the contract names."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from hdrnn import idx


def write_small(directory: Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    train = idx.Split(rng.integers(0, 256, (n_train, 784), dtype=np.uint8),
                      (np.arange(n_train) % 10).astype(np.uint8))
    test = idx.Split(rng.integers(0, 256, (n_test, 784), dtype=np.uint8),
                     (np.arange(n_test) % 10).astype(np.uint8))
    idx.write_dataset(directory, train, test)
    return directory


def _patch(path: Path, offset: int, data: bytes) -> None:
    blob = bytearray(path.read_bytes())
    blob[offset:offset + len(data)] = data
    path.write_bytes(bytes(blob))


# name -> (function that breaks a valid directory, file it names, words in the message)
def _missing(d):
    (d / idx.TEST_LABELS).unlink()


def _magic_images(d):
    _patch(d / idx.TRAIN_IMAGES, 0, struct.pack(">I", 0x00000801))


def _magic_labels(d):
    _patch(d / idx.TRAIN_LABELS, 0, struct.pack(">I", 0x00000803))


def _dims(d):
    _patch(d / idx.TEST_IMAGES, 8, struct.pack(">II", 32, 32))


def _truncated(d):
    p = d / idx.TRAIN_IMAGES
    p.write_bytes(p.read_bytes()[:-100])


def _truncated_header(d):
    (d / idx.TEST_IMAGES).write_bytes(b"\x00\x00\x08")


def _count_mismatch(d):
    p = d / idx.TRAIN_LABELS
    blob = p.read_bytes()
    n = struct.unpack(">I", blob[4:8])[0] - 1
    p.write_bytes(blob[:4] + struct.pack(">I", n) + blob[8:8 + n])


def _bad_label(d):
    _patch(d / idx.TEST_LABELS, 8 + 5, bytes([10]))  # with --classes 10 (CORRUPT_ARGS)


def _float_set(d, bad_value=None, where="train"):
    """The small set with float32 features (64 per sample), one value replaced."""
    rng = np.random.default_rng(1)
    feats = {k: rng.standard_normal((n, 64)).astype(np.float32)
             for k, n in (("train", 40), ("test", 20))}
    if bad_value is not None:
        feats[where][7, 5] = bad_value
    idx.write_features(d / idx.TRAIN_IMAGES, feats["train"])
    idx.write_features(d / idx.TEST_IMAGES, feats["test"])


def _float_nan(d):
    _float_set(d, np.nan, "train")


def _float_inf(d):
    _float_set(d, -np.inf, "test")


def _width_mismatch(d):
    _patch(d / idx.TEST_IMAGES, 8, struct.pack(">II", 32, 32))
    p = d / idx.TEST_IMAGES  # a valid 32x32 file: only the width differs from train
    p.write_bytes(p.read_bytes()[:16] + bytes(20 * 32 * 32))


def _dtype_mismatch(d):
    rng = np.random.default_rng(2)
    idx.write_features(d / idx.TRAIN_IMAGES, rng.standard_normal((40, 784)).astype(np.float32))


def _one_class(d):
    for name, n in ((idx.TRAIN_LABELS, 40), (idx.TEST_LABELS, 20)):
        idx.write_labels(d / name, np.zeros(n, dtype=np.uint8))


def _magic_type(d):
    _patch(d / idx.TRAIN_IMAGES, 0, struct.pack(">I", 0x00000903))  # signed bytes


def _too_many_dims(d):
    _patch(d / idx.TEST_IMAGES, 0, struct.pack(">I", 0x00000805))


def _zero_width(d):
    _patch(d / idx.TRAIN_IMAGES, 8, struct.pack(">I", 0))


CORRUPTIONS = {
    "missing": (_missing, idx.TEST_LABELS, "missing"),
    "magic-images": (_magic_images, idx.TRAIN_IMAGES, "magic"),
    "magic-labels": (_magic_labels, idx.TRAIN_LABELS, "magic"),
    "dims": (_dims, idx.TEST_IMAGES, "truncated"),
    "truncated": (_truncated, idx.TRAIN_IMAGES, "truncated"),
    "truncated-header": (_truncated_header, idx.TEST_IMAGES, "truncated"),
    "count-mismatch": (_count_mismatch, idx.TRAIN_LABELS, "labels but"),
    "label-outside-classes": (_bad_label, idx.TEST_LABELS, "label 10 at index 5 outside"),
    "float-nan": (_float_nan, idx.TRAIN_IMAGES, "NaN at sample 7, feature 5"),
    "float-inf": (_float_inf, idx.TEST_IMAGES, "inf at sample 7, feature 5"),
    "width-mismatch": (_width_mismatch, idx.TEST_IMAGES, "1024 uint8 features per sample"),
    "dtype-mismatch": (_dtype_mismatch, idx.TEST_IMAGES, "784 uint8 features per sample, "
                       "but the training set has 784 float32"),
    "one-class": (_one_class, idx.TRAIN_LABELS, "at least 2 classes"),
    "magic-type": (_magic_type, idx.TRAIN_IMAGES, "magic"),
    "too-many-dims": (_too_many_dims, idx.TEST_IMAGES, "magic"),
    "zero-width": (_zero_width, idx.TRAIN_IMAGES, "no features"),
}
# Extra trainer options a corruption needs to be one.
CORRUPT_ARGS = {"label-outside-classes": ["--classes", "10"]}


def make_corrupt(directory: Path, kind: str) -> tuple[Path, str, str]:
    write_small(directory)
    breaker, fname, words = CORRUPTIONS[kind]
    breaker(directory)
    return directory, fname, words
