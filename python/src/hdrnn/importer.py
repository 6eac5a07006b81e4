"""hdrnn-data import: a user's features and integer labels (CSV or .npy) as a data set
the trainers read (docs/data.md, "Your own data"): the four IDX files, float32 features
(uint8 with --uint8, for images that the trainers scale by 1/255), labels as bytes, a
SHA256SUMS and an import.json that records the sources and any standardization.

Every problem is a DataError naming the file, the line and the column where it has one;
the set is built in a staging directory and moved into place whole."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import datasets, idx, prng
from .errors import DataError, UsageError
from .files import open_file, read_file, sha256_of, write_text

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


BLOCK_ROWS = 4096  # CSV rows parsed into one float64 block: no per-row array is kept


def read_csv(path: Path, label_column: int, kind: str = "float64") -> Table:
    """Rows of numbers, one of them the label; a first row whose label field is not a
    number is a header; blank lines are skipped. A ragged row, a field that is not a
    number or a value that is not finite is a DataError naming the line. The file is
    read as a stream into blocks of features, each checked and stored as kind (see
    _finish) when full, and a list of labels: the only copy of the data held."""
    try:
        with open_file(path, "a CSV file") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
            reader = csv.reader(text, strict=True)
            return _parse_csv(path, reader, label_column, kind)
    except csv.Error as e:
        raise DataError(f"{path}:{reader.line_num}: not CSV ({e})") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None


def _parse_csv(path: Path, reader, label_column: int, kind: str) -> Table:
    blocks, block, n = [], None, 0  # block[:n] filled
    labels, lines, header, width, col = [], [], None, 0, 0

    def finish(b):  # the rows of b, whose last is the latest line read
        first = len(lines) - len(b)
        return _finish(b, lambda r: f"{path}:{lines[first + r]}", kind)

    for fields in reader:
        line_no = reader.line_num
        fields = [f.strip() for f in fields]
        if not any(fields):
            continue
        if not width:  # the first row: a header or data, it sets the width
            col = label_column if label_column >= 0 else len(fields) + label_column
            if not 0 <= col < len(fields):
                raise UsageError(f"--label-column {label_column}: {path} has {len(fields)} "
                                 "columns")
            width = len(fields)
            if width < 2:
                raise DataError(f"{path}: one column: need at least one feature and the "
                                "label")
            if not _is_number(fields[col]):
                header = fields
                continue
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
            row = np.array(fields, dtype=np.float64)
        except ValueError:  # plain characters in a wrong order, such as 1e or 1-2
            c = next(c for c, f in enumerate(fields) if not _is_number(f))
            raise DataError(f"{path}:{line_no}: column {c + 1} is {fields[c][:40]!r}, not a "
                            "number") from None
        if block is None or n == BLOCK_ROWS:
            if block is not None:
                blocks.append(finish(block))
            block, n = np.empty((BLOCK_ROWS, width - 1)), 0
        block[n, :col], block[n, col:] = row[:col], row[col + 1:]
        n += 1
        labels.append(row[col])
        lines.append(line_no)
    if not lines:
        raise DataError(f"{path}: no rows of data")
    blocks.append(finish(block[:n]))
    feats = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    del blocks
    names = [h for c, h in enumerate(header) if c != col] if header else None
    return Table(feats, _labels(np.array(labels), lambda i: f"{path}:{lines[i]}"),
                 np.asarray(lines), path, names)


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


def read_npy(path: Path, labels_path: Path | None, kind: str = "float64") -> Table:
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
    feats = feats.reshape(n, -1)
    stored = [_finish(feats[s:s + BLOCK_ROWS].astype(np.float64),
                      lambda r, s=s: f"{path}: row {s + r}", kind)
              for s in range(0, n, BLOCK_ROWS)]
    del feats
    return Table(np.concatenate(stored), labels, np.arange(n), path, None, labels_path)


def read_table(path: Path, labels_path: Path | None, label_column: int | None,
               kind: str = "float64") -> Table:
    """The samples of a CSV or of .npy features and labels, features stored as kind."""
    if path.suffix.lower() == ".npy":
        if label_column is not None:
            raise UsageError(f"--label-column: {path} is a .npy; its labels are a file of "
                             "their own (--train-labels / --test-labels)")
        return read_npy(path, labels_path, kind)
    if labels_path is not None:
        raise UsageError(f"{labels_path}: separate labels go with .npy features; a CSV has "
                         "its label column (--label-column)")
    return read_csv(path, -1 if label_column is None else label_column, kind)


def _finish(b: np.ndarray, where, kind: str) -> np.ndarray:
    """Float64 features b checked (finite; for uint8 whole numbers 0 to 255; for float32
    within its range) and stored as kind: "uint8" and "float32" as the set will hold
    them, "float64" to be standardized first. Errors are located by where(row)."""
    bad = np.argwhere(~np.isfinite(b))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        what = "NaN" if math.isnan(b[r, c]) else "inf"
        raise DataError(f"{where(r)}: {what} in feature {c + 1} (features must be finite)")
    if kind == "uint8":
        bad = np.argwhere((b != np.round(b)) | (b < 0) | (b > 255))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise DataError(f"{where(r)}: feature {c + 1} is {b[r, c]:g}: --uint8 needs "
                            "integers 0 to 255")
        return b.astype(np.uint8)
    if kind == "float32":
        with np.errstate(over="ignore"):
            out = b.astype(np.float32)
        bad = np.argwhere(~np.isfinite(out))
        if bad.size:
            r, c = (int(v) for v in bad[0])
            raise DataError(f"{where(r)}: feature {c + 1} is beyond float32's range")
        return out
    return b


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


def convert(o: Options) -> tuple[idx.Split, idx.Split, dict]:
    """The two splits as the trainers read them, and what import.json records."""
    if o.test is None and o.test_labels is not None:
        raise UsageError("--test-labels: needs --test")
    if o.test is not None and o.test_share is not None:
        raise UsageError("--test-share: not with --test (the test samples are given)")
    share = 0.2 if o.test_share is None else o.test_share
    # each file checked whole, in its own order, before any split: the first bad line;
    # stored as the set will hold it unless standardized (then after the split, below)
    kind = "uint8" if o.uint8 else "float64" if o.standardize else "float32"
    tables = [read_table(o.train, o.train_labels, o.label_column, kind)]
    if o.test is not None:
        tables.append(read_table(o.test, o.test_labels, o.label_column, kind))
    for t in tables:
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
    del tables  # the unsplit features
    record = {"classes": classes, "features": int(train.features.shape[1]),
              "train": len(train.labels), "test": len(test.labels),
              "dtype": "uint8" if o.uint8 else "float32",
              "sources": {str(p): sha256_of(p) for p in (o.train, o.train_labels, o.test,
                                                        o.test_labels) if p is not None},
              "split": None if o.test is not None else {"test_share": share,
                                                        "seed": o.seed},
              "columns": train.columns}
    if o.standardize:  # the training set's mean and deviation, applied to both
        mean = train.features.mean(axis=0)
        std = train.features.std(axis=0)
        std[std == 0] = 1.0
        for t in (train, test):
            t.features = _finish((t.features - mean) / std, lambda r, t=t: _where(t, r),
                                 "float32")
        record["standardize"] = {"mean": mean.tolist(), "std": std.tolist()}
    splits = [idx.Split(t.features, t.labels.astype(np.uint8)) for t in (train, test)]
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
