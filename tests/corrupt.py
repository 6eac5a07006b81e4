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
    _patch(d / idx.TEST_LABELS, 8 + 5, bytes([10]))


CORRUPTIONS = {
    "missing": (_missing, idx.TEST_LABELS, "missing"),
    "magic-images": (_magic_images, idx.TRAIN_IMAGES, "magic"),
    "magic-labels": (_magic_labels, idx.TRAIN_LABELS, "magic"),
    "dims": (_dims, idx.TEST_IMAGES, "dimensions"),
    "truncated": (_truncated, idx.TRAIN_IMAGES, "truncated"),
    "truncated-header": (_truncated_header, idx.TEST_IMAGES, "truncated"),
    "count-mismatch": (_count_mismatch, idx.TRAIN_LABELS, "labels but"),
    "label-gt-9": (_bad_label, idx.TEST_LABELS, "label 10 > 9"),
}


def make_corrupt(directory: Path, kind: str) -> tuple[Path, str, str]:
    write_small(directory)
    breaker, fname, words = CORRUPTIONS[kind]
    breaker(directory)
    return directory, fname, words
