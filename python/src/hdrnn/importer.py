"""hdrnn-data import: a user's features and integer labels (CSV or .npy) as a data set
the trainers read (docs/data.md, "Your own data"): the four IDX files, float32 features
(uint8 with --uint8, for images that the trainers scale by 1/255), labels as bytes, a
SHA256SUMS and an import.json that records the sources and any standardization.

Every problem is a DataError naming the file, the line and the column where it has one;
the set is built in a staging directory and moved into place whole."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import datasets, idx, prng
from .errors import DataError, UsageError
from .files import read_file, write_text

IMPORT_JSON = "import.json"


@dataclass
class Table:
    """Samples read from one source: features [n, d] float64, labels [n] int64, and
    where each row came from (CSV line numbers, or npy row numbers)."""
    features: np.ndarray
    labels: np.ndarray
    rows: np.ndarray
    path: Path
    columns: list[str] | None = None  # the CSV header's feature names, if it had one
    label_path: Path | None = None    # where the labels are, when not in path


# A CSV number as spreadsheets and loggers write it (NaN and inf are numbers here, refused
# later as not finite); Python's float() would also take 1_000, full-width and Arabic digits.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
# the characters a row of plain decimal numbers is made of (a fast path over _NUMBER)
_PLAIN = re.compile(r"[0-9eE.+\- ]*")


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


def _where(t: "Table", r: int) -> str:
    """Where sample r came from: FILE:LINE for a CSV, FILE: row R for a .npy."""
    if t.path.suffix.lower() == ".npy":
        return f"{t.path}: row {t.rows[r]}"
    return f"{t.path}:{t.rows[r]}"


def read_csv(path: Path, label_column: int) -> Table:
    """Rows of numbers, one of them the label; a first row whose label field is not a
    number is a header; blank lines are skipped. A ragged row, a field that is not a
    number or a value that is not finite is a DataError naming the line."""
    text = read_file(path, "a CSV file").decode("utf-8-sig", errors="replace")
    rows, lines, header = [], [], None  # rows: float64 arrays, converted row by row
    for line_no, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        fields = [f.strip() for f in fields]
        if not any(fields):
            continue
        if header is None and not rows:
            col = label_column if label_column >= 0 else len(fields) + label_column
            if not 0 <= col < len(fields):
                raise UsageError(f"--label-column {label_column}: {path} has {len(fields)} "
                                 "columns")
            if not _is_number(fields[col]):
                header = fields
                continue
        width = len(header) if header else (len(rows[0]) if rows else len(fields))
        if len(fields) != width:
            raise DataError(f"{path}:{line_no}: {len(fields)} fields, but "
                            f"{'the header has' if header else 'the first row has'} {width} "
                            "(a ragged row)")
        bad = None if _PLAIN.fullmatch(" ".join(fields)) and all(fields) else \
            next((c for c, f in enumerate(fields) if not _is_number(f)), None)
        if bad is not None:
            what = "empty" if not fields[bad] else f"{fields[bad][:40]!r}, not a number"
            raise DataError(f"{path}:{line_no}: column {bad + 1} is {what}")
        try:
            rows.append(np.array(fields, dtype=np.float64))
        except ValueError:  # plain characters in a wrong order, such as 1e or 1-2
            c = next(c for c, f in enumerate(fields) if not _is_number(f))
            raise DataError(f"{path}:{line_no}: column {c + 1} is {fields[c][:40]!r}, not a "
                            "number") from None
        lines.append(line_no)
    if not rows:
        raise DataError(f"{path}: no rows of data")
    width = len(rows[0])
    if width < 2:
        raise DataError(f"{path}: one column: need at least one feature and the label")
    col = label_column if label_column >= 0 else width + label_column
    if not 0 <= col < width:
        raise UsageError(f"--label-column {label_column}: {path} has {width} columns")
    values = np.stack(rows)
    del rows
    names = None
    if header:
        names = [h for c, h in enumerate(header) if c != col]
    feats = np.delete(values, col, axis=1)
    labels = _labels(values[:, col], lambda i: f"{path}:{lines[i]}")
    return Table(feats, labels, np.asarray(lines), path, names)


def _labels(raw: np.ndarray, where) -> np.ndarray:
    """Integer labels in [0, 255]; a DataError at the first that is not, located by
    where(index)."""
    bad = np.flatnonzero(~np.isfinite(raw) | (raw != np.round(raw)) | (raw < 0) | (raw > 255))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{where(i)}: label {float(raw[i]):g} is not an integer class in "
                        "[0, 255]")
    return raw.astype(np.int64)


def _load_npy(path: Path, what: str) -> np.ndarray:
    data = read_file(path, "a .npy file")
    try:
        a = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{path}: not a .npy array ({str(e).splitlines()[0][:80]})") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise DataError(f"{path}: {what} must be a numeric array (found "
                        f"{getattr(a, 'dtype', type(a).__name__)})")
    return a


def read_npy(path: Path, labels_path: Path | None) -> Table:
    """Features [n, ...] (each sample flattened) and labels [n] from two .npy files."""
    if labels_path is None:
        raise UsageError(f"{path}: a .npy of features needs its labels (--train-labels / "
                         "--test-labels FILE.npy)")
    feats = _load_npy(path, "features")
    labs = _load_npy(labels_path, "labels")
    if feats.ndim < 2 or feats.shape[0] == 0 or feats[0].size == 0:
        raise DataError(f"{path}: features must be [samples, features...] with at least one "
                        f"of each (shape {feats.shape})")
    if labs.ndim != 1 or labs.shape[0] != feats.shape[0]:
        raise DataError(f"{labels_path}: labels of shape {labs.shape}, but {path} has "
                        f"{feats.shape[0]} samples")
    n = feats.shape[0]
    labels = _labels(labs.astype(np.float64), lambda i: f"{labels_path}: row {i}")
    return Table(feats.reshape(n, -1).astype(np.float64), labels, np.arange(n), path, None,
                 labels_path)


def read_table(path: Path, labels_path: Path | None, label_column: int | None) -> Table:
    if path.suffix.lower() == ".npy":
        if label_column is not None:
            raise UsageError(f"--label-column: {path} is a .npy; its labels are a file of "
                             "their own (--train-labels / --test-labels)")
        return read_npy(path, labels_path)
    if labels_path is not None:
        raise UsageError(f"{labels_path}: separate labels go with .npy features; a CSV has "
                         "its label column (--label-column)")
    return read_csv(path, -1 if label_column is None else label_column)


def _check_finite(t: Table) -> None:
    bad = np.argwhere(~np.isfinite(t.features))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        what = "NaN" if math.isnan(t.features[r, c]) else "inf"
        raise DataError(f"{_where(t, r)}: {what} in feature {c + 1} (features must be "
                        "finite)")


def _check_classes(t: Table, classes: int) -> None:
    bad = np.flatnonzero(t.labels >= classes)
    if bad.size:
        i = int(bad[0])
        where = _where(t, i) if t.label_path is None else f"{t.label_path}: row {t.rows[i]}"
        raise DataError(f"{where}: label {t.labels[i]} outside the {classes} classes (0 to "
                        f"{classes - 1})")


def split(t: Table, share: float, seed: int) -> tuple[Table, Table]:
    """A deterministic, stratified split: the samples in the order of the contract's
    shuffle stream for seed (its first epoch), each class giving its test share by
    largest remainder; train and test keep that order."""
    order = prng.Shuffler(len(t.labels), seed).next_epoch()
    classes = sorted(set(t.labels.tolist()))
    counts = [int(np.count_nonzero(t.labels == c)) for c in classes]
    total = round(share * len(t.labels))
    if not 1 <= total < len(t.labels):
        raise DataError(f"{t.path}: {len(t.labels)} sample(s) cannot give a test share of "
                        f"{share} (at least one sample on each side)")
    want = dict(zip(classes, datasets._largest_remainder(counts, total)))
    is_test = np.zeros(len(order), dtype=bool)
    for k, i in enumerate(order):
        c = int(t.labels[i])
        if want[c]:
            want[c] -= 1
            is_test[k] = True

    def pick(mask):
        sel = order[mask]
        return Table(t.features[sel], t.labels[sel], t.rows[sel], t.path, t.columns,
                     t.label_path)
    return pick(~is_test), pick(is_test)


@dataclass
class Options:
    train: Path
    train_labels: Path | None = None
    test: Path | None = None
    test_labels: Path | None = None
    test_share: float | None = None  # without test: 0.2
    label_column: int | None = None  # CSV: None is -1, the last
    classes: int | None = None
    uint8: bool = False
    standardize: bool = False
    seed: int = 1


def _sha256(path: Path) -> str:
    return hashlib.sha256(read_file(path)).hexdigest()


def convert(o: Options) -> tuple[idx.Split, idx.Split, dict]:
    """The two splits as the trainers read them, and what import.json records."""
    if o.test is None and o.test_labels is not None:
        raise UsageError("--test-labels: needs --test")
    if o.test is not None and o.test_share is not None:
        raise UsageError("--test-share: not with --test (the test samples are given)")
    share = 0.2 if o.test_share is None else o.test_share
    # each file checked whole, in its own order, before any split: the first bad line
    tables = [read_table(o.train, o.train_labels, o.label_column)]
    if o.test is not None:
        tables.append(read_table(o.test, o.test_labels, o.label_column))
    for t in tables:
        _check_finite(t)
        if o.classes:
            _check_classes(t, o.classes)
    if tables[-1].features.shape[1] != tables[0].features.shape[1]:
        raise DataError(f"{tables[-1].path}: {tables[-1].features.shape[1]} features per "
                        f"sample, but {tables[0].path} has {tables[0].features.shape[1]}")
    classes = o.classes or int(max(t.labels.max() for t in tables)) + 1
    if classes < 2:
        raise DataError(f"{o.train}: every label is 0: a classifier needs at least 2 "
                        "classes (or --classes)")
    train, test = tables if len(tables) == 2 else split(tables[0], share, o.seed)
    record = {"classes": classes, "features": int(train.features.shape[1]),
              "train": len(train.labels), "test": len(test.labels),
              "dtype": "uint8" if o.uint8 else "float32",
              "sources": {str(p): _sha256(p) for p in (o.train, o.train_labels, o.test,
                                                        o.test_labels) if p is not None},
              "split": None if o.test is not None else {"test_share": share,
                                                        "seed": o.seed},
              "columns": train.columns}
    if o.uint8:
        for t in (train, test):
            bad = np.argwhere((t.features != np.round(t.features)) | (t.features < 0) |
                              (t.features > 255))
            if bad.size:
                r, c = (int(v) for v in bad[0])
                raise DataError(f"{_where(t, r)}: feature {c + 1} is {t.features[r, c]:g}: "
                                "--uint8 needs integers 0 to 255")
        cast = [t.features.astype(np.uint8) for t in (train, test)]
    else:
        feats = [train.features, test.features]
        if o.standardize:  # the training set's mean and deviation, applied to both
            mean = train.features.mean(axis=0)
            std = train.features.std(axis=0)
            std[std == 0] = 1.0
            feats = [(f - mean) / std for f in feats]
            record["standardize"] = {"mean": mean.tolist(), "std": std.tolist()}
        with np.errstate(over="ignore"):
            cast = [f.astype(np.float32) for f in feats]
        for t, f in zip((train, test), cast):
            bad = np.argwhere(~np.isfinite(f))
            if bad.size:
                r, c = (int(v) for v in bad[0])
                raise DataError(f"{_where(t, r)}: feature {c + 1} is beyond float32's "
                                "range")
    splits = [idx.Split(f, t.labels.astype(np.uint8)) for f, t in zip(cast, (train, test))]
    return splits[0], splits[1], record


def run(o: Options, dest: Path, force: bool = False) -> Path:
    """Convert and write the set to dest whole (refusing to replace one unless force)."""
    if dest.exists() or dest.is_symlink():
        if not force:
            raise UsageError(f"{dest}: exists (--force replaces it)")
        made_here = dest.is_dir() and not dest.is_symlink() and any(
            (dest / name).is_file() for name in (IMPORT_JSON, datasets.MANIFEST))
        if not made_here:  # never delete a directory of the user's own
            raise UsageError(f"{dest}: exists and is not a data set; --force replaces only "
                             "a set that hdrnn-data made")
        inside = [p for p in (o.train, o.train_labels, o.test, o.test_labels)
                  if p is not None and dest.resolve() in p.resolve().parents]
        if inside:
            raise UsageError(f"{inside[0]}: inside {dest}, which --force would replace")
    train, test, record = convert(o)
    with datasets.staging(dest) as tmp:
        idx.write_dataset(tmp, train, test)
        write_text(tmp / IMPORT_JSON, json.dumps(record, indent=1) + "\n")
        return datasets.finish(tmp, dest)
