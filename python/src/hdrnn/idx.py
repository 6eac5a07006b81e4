"""Reading and writing MNIST IDX files, with the contract's validation.

Every problem raises ``DataError`` with a one-line message that names the file; the
command-line tools turn it into exit code 3.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .contract import CLASSES, INPUTS
from .errors import DataError
from .files import read_file, write_atomic

IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension
ROWS = COLS = 28
PIXELS = ROWS * COLS
assert PIXELS == INPUTS

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILENAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass
class Split:
    images: np.ndarray  # [n, 784] uint8
    labels: np.ndarray  # [n] uint8


@dataclass
class Dataset:
    train: Split
    test: Split


def _read(path: Path, header_len: int) -> bytes:
    data = read_file(path, "an IDX file")
    if len(data) < header_len:
        raise DataError(f"{path}: truncated header ({len(data)} bytes, need {header_len})")
    return data


def _check_size(path: Path, data: bytes, header_len: int, count: int, item: int) -> None:
    want = header_len + count * item
    if len(data) < want:
        raise DataError(f"{path}: truncated: {len(data)} bytes, header says {count} items "
                        f"({want} bytes)")
    if len(data) > want:
        raise DataError(f"{path}: {len(data) - want} trailing bytes after {count} items")


def read_images(path: Path, limit: int | None = None) -> np.ndarray:
    data = _read(path, 16)
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != IMAGES_MAGIC:
        raise DataError(f"{path}: wrong magic 0x{magic:08x} (images need 0x{IMAGES_MAGIC:08x})")
    if (rows, cols) != (ROWS, COLS):
        raise DataError(f"{path}: wrong dimensions {rows}x{cols} (need {ROWS}x{COLS})")
    _check_size(path, data, 16, count, PIXELS)
    n = count if limit is None else min(limit, count)
    return np.frombuffer(data, dtype=np.uint8, count=n * PIXELS, offset=16).reshape(n, PIXELS)


def read_labels(path: Path, limit: int | None = None) -> np.ndarray:
    data = _read(path, 8)
    magic, count = struct.unpack(">II", data[:8])
    if magic != LABELS_MAGIC:
        raise DataError(f"{path}: wrong magic 0x{magic:08x} (labels need 0x{LABELS_MAGIC:08x})")
    _check_size(path, data, 8, count, 1)
    labels = np.frombuffer(data, dtype=np.uint8, count=count, offset=8)
    bad = np.flatnonzero(labels >= CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}: label {labels[i]} > {CLASSES - 1} at index {i}")
    n = count if limit is None else min(limit, count)
    return labels[:n]


def read_split(directory: Path, images: str, labels: str, limit: int | None = None) -> Split:
    img = read_images(directory / images)
    lab = read_labels(directory / labels)
    if img.shape[0] != lab.shape[0]:
        raise DataError(f"{directory / labels}: {lab.shape[0]} labels but {directory / images} "
                        f"has {img.shape[0]} images")
    if limit is not None:
        img, lab = img[:limit], lab[:limit]
    return Split(img, lab)


def load(directory: str | os.PathLike, train_limit: int | None = None,
         test_limit: int | None = None) -> Dataset:
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"{d}: data directory not found")
    ds = Dataset(read_split(d, TRAIN_IMAGES, TRAIN_LABELS, train_limit),
                 read_split(d, TEST_IMAGES, TEST_LABELS, test_limit))
    for name, split in ((TRAIN_IMAGES, ds.train), (TEST_IMAGES, ds.test)):
        if not len(split.labels):  # nothing to train on, or an accuracy of 0 / 0
            raise DataError(f"{d / name}: no samples")
    return ds


def write_images(path: Path, images: np.ndarray) -> None:
    images = np.ascontiguousarray(images, dtype=np.uint8).reshape(-1, PIXELS)
    header = struct.pack(">IIII", IMAGES_MAGIC, images.shape[0], ROWS, COLS)
    write_atomic(path, [header, images.tobytes()])


def write_labels(path: Path, labels: np.ndarray) -> None:
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    write_atomic(path, [struct.pack(">II", LABELS_MAGIC, labels.shape[0]), labels.tobytes()])


def write_dataset(directory: Path, train: Split, test: Split) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    write_images(directory / TRAIN_IMAGES, train.images)
    write_labels(directory / TRAIN_LABELS, train.labels)
    write_images(directory / TEST_IMAGES, test.images)
    write_labels(directory / TEST_LABELS, test.labels)
