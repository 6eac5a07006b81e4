"""Reading and writing data sets as IDX files, with the contract's validation
(docs/data.md): four files under MNIST's names; features uint8 (type 0x08, images, scaled
by 1/255 in the trainers) or float32 (0x0D, big endian in the file), the input width the
product of the feature dimensions, the class count the labels' largest + 1 unless given.

Every problem raises ``DataError`` with a one-line message that names the file; the
command-line tools turn it into exit code 3.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .contract import MAX_LAYER_WIDTH
from .errors import DataError
from .files import read_file, write_atomic

IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions: MNIST's images
LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension
U8, F32 = 0x08, 0x0D       # the IDX types of features
DTYPES = {U8: np.dtype(np.uint8), F32: np.dtype(">f4")}
MAX_DIMS = 4               # samples and up to 3 feature dimensions
ROWS = COLS = 28
PIXELS = ROWS * COLS

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILENAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass
class Split:
    features: np.ndarray  # [n, width] uint8, or float32 (native endian)
    labels: np.ndarray    # [n] uint8


@dataclass
class Dataset:
    train: Split
    test: Split
    classes: int

    @property
    def inputs(self) -> int:
        return self.train.features.shape[1]


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


def read_features(path: Path) -> np.ndarray:
    """[n, width] uint8 or float32 (every value finite); the whole file is checked."""
    data = _read(path, 8)
    magic, count = struct.unpack(">II", data[:8])
    kind, dims = magic >> 8, magic & 0xFF
    if kind not in DTYPES or not 2 <= dims <= MAX_DIMS:
        raise DataError(f"{path}: wrong magic 0x{magic:08x} (features need 0x000008DD, "
                        f"unsigned byte, or 0x00000dDD, float32, with DD 2 to {MAX_DIMS} "
                        "dimensions)")
    header_len = 4 + 4 * dims
    if len(data) < header_len:
        raise DataError(f"{path}: truncated header ({len(data)} bytes, need {header_len})")
    width = 1
    for d in struct.unpack(f">{dims - 1}I", data[8:header_len]):
        width *= d
        if not 1 <= width <= MAX_LAYER_WIDTH:
            raise DataError(f"{path}: {'no' if width < 1 else 'too many'} features per "
                            f"sample (need 1 to {MAX_LAYER_WIDTH})")
    dtype = DTYPES[kind]
    _check_size(path, data, header_len, count, width * dtype.itemsize)
    all_rows = np.frombuffer(data, dtype=dtype, count=count * width, offset=header_len)
    if kind == F32:
        bad = np.flatnonzero(~np.isfinite(all_rows))
        if bad.size:
            i = int(bad[0])
            what = "NaN" if np.isnan(all_rows[i]) else "inf"
            raise DataError(f"{path}: {what} at sample {i // width}, feature {i % width} "
                            "(features must be finite)")
    rows = all_rows.reshape(count, width)
    return rows.astype(np.float32) if kind == F32 else rows


def read_labels(path: Path, limit: int | None = None) -> np.ndarray:
    data = _read(path, 8)
    magic, count = struct.unpack(">II", data[:8])
    if magic != LABELS_MAGIC:
        raise DataError(f"{path}: wrong magic 0x{magic:08x} (labels need 0x{LABELS_MAGIC:08x})")
    _check_size(path, data, 8, count, 1)
    labels = np.frombuffer(data, dtype=np.uint8, count=count, offset=8)
    n = count if limit is None else min(limit, count)
    return labels[:n]


def _check_classes(path: Path, labels: np.ndarray, classes: int) -> None:
    bad = np.flatnonzero(labels >= classes)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}: label {labels[i]} at index {i} outside the {classes} "
                        "classes of --classes")


def read_split(directory: Path, features: str, labels: str,
               classes: int | None = None) -> Split:
    feat = read_features(directory / features)
    lab = read_labels(directory / labels)
    if classes:
        _check_classes(directory / labels, lab, classes)
    if feat.shape[0] != lab.shape[0]:
        raise DataError(f"{directory / labels}: {lab.shape[0]} labels but "
                        f"{directory / features} has {feat.shape[0]} samples")
    return Split(feat, lab)


def _kind(a: np.ndarray) -> str:
    return "uint8" if a.dtype == np.uint8 else "float32"


def load(directory: str | os.PathLike, train_limit: int | None = None,
         test_limit: int | None = None, classes: int | None = None) -> Dataset:
    """The data set of directory; classes None takes the class count from the labels of
    both whole files (their largest + 1, at least 2)."""
    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"{d}: data directory not found")
    # the class count comes from the whole label files, whatever the limits
    train = read_split(d, TRAIN_IMAGES, TRAIN_LABELS, classes)
    test = read_split(d, TEST_IMAGES, TEST_LABELS, classes)
    tf, sf = train.features, test.features
    if (sf.shape[1], sf.dtype) != (tf.shape[1], tf.dtype):
        raise DataError(f"{d / TEST_IMAGES}: {sf.shape[1]} {_kind(sf)} features per sample, "
                        f"but the training set has {tf.shape[1]} {_kind(tf)}")
    for name, split in ((TRAIN_IMAGES, train), (TEST_IMAGES, test)):
        if not len(split.labels):  # nothing to train on, or an accuracy of 0 / 0
            raise DataError(f"{d / name}: no samples")
    if not classes:
        classes = int(max(train.labels.max(), test.labels.max())) + 1
        if classes < 2:
            raise DataError(f"{d / TRAIN_LABELS}: every label is 0: a classifier needs at "
                            "least 2 classes (or --classes)")
    if train_limit is not None:
        train = Split(train.features[:train_limit], train.labels[:train_limit])
    if test_limit is not None:
        test = Split(test.features[:test_limit], test.labels[:test_limit])
    return Dataset(train, test, classes)


def write_images(path: Path, images: np.ndarray) -> None:
    images = np.ascontiguousarray(images, dtype=np.uint8).reshape(-1, PIXELS)
    header = struct.pack(">IIII", IMAGES_MAGIC, images.shape[0], ROWS, COLS)
    write_atomic(path, [header, images.tobytes()])


def write_labels(path: Path, labels: np.ndarray) -> None:
    labels = np.ascontiguousarray(labels, dtype=np.uint8)
    write_atomic(path, [struct.pack(">II", LABELS_MAGIC, labels.shape[0]), labels.tobytes()])


def write_features(path: Path, features: np.ndarray) -> None:
    """[n, width] uint8 or float32 as a 2-dimensional IDX file (float32 big endian)."""
    kind = U8 if features.dtype == np.uint8 else F32
    rows = np.ascontiguousarray(features, dtype=DTYPES[kind])
    header = struct.pack(">III", kind << 8 | 2, rows.shape[0], rows.shape[1])
    write_atomic(path, [header, rows.tobytes()])


def write_dataset(directory: Path, train: Split, test: Split) -> None:
    """MNIST-shaped uint8 sets keep MNIST's 28x28 header; others are [n, width]."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, split in ((TRAIN_IMAGES, train), (TEST_IMAGES, test)):
        f = split.features
        if f.dtype == np.uint8 and f.shape[1] == PIXELS:
            write_images(directory / name, f)
        else:
            write_features(directory / name, f)
    write_labels(directory / TRAIN_LABELS, train.labels)
    write_labels(directory / TEST_LABELS, test.labels)
