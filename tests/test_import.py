"""hdrnn-data import: CSV and .npy in, the IDX set out; every bad input is one line and
exit 3 (bad data) or 2 (bad command line), and nothing is left behind."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import run
from hdrnn import idx


def _csv(path, rows, header="a,b,c,label"):
    path.write_text((header + "\n" if header else "") + "".join(r + "\n" for r in rows))
    return path


GOOD = ["0.5,1,2,0", "1.5,2,3,1", "2.5,3,4,2", "3.5,4,5,0", "4.5,5,6,1", "5.5,6,7,2",
        "6.5,7,8,0", "7.5,8,9,1", "8.5,9,10,2", "9.5,10,11,0"]


def test_csv_round_trip(tmp_path):
    src = _csv(tmp_path / "s.csv", GOOD)
    dest = tmp_path / "set"
    r = run(["hdrnn-data", "import", str(dest), "--train", str(src), "--test-share", "0.3"])
    assert r.returncode == 0, r.stderr
    d = idx.load(dest)
    assert (d.inputs, d.classes, len(d.train.labels), len(d.test.labels)) == (3, 3, 7, 3)
    # stratified: one test sample of each class
    assert sorted(d.test.labels.tolist()) == [0, 1, 2]
    # the rows are the CSV's, as float32, label taken from the last column
    rows = {tuple(r) for r in np.concatenate([d.train.features, d.test.features]).tolist()}
    assert (0.5, 1.0, 2.0) in rows and len(rows) == 10
    rec = json.loads((dest / "import.json").read_text())
    assert rec["columns"] == ["a", "b", "c"] and rec["split"] == {"test_share": 0.3, "seed": 1}
    # deterministic: the same command gives the same files
    again = tmp_path / "again"
    run(["hdrnn-data", "import", str(again), "--train", str(src), "--test-share", "0.3"])
    for name in idx.FILENAMES:
        assert (again / name).read_bytes() == (dest / name).read_bytes()


def test_separate_test_file_label_column_and_uint8(tmp_path):
    train = _csv(tmp_path / "tr.csv", ["1,10,20", "0,30,40", "1,50,60"], header="")
    test = _csv(tmp_path / "te.csv", ["0,255,0"], header="")
    dest = tmp_path / "set"
    r = run(["hdrnn-data", "import", str(dest), "--train", str(train), "--test", str(test),
             "--label-column", "0", "--uint8"])
    assert r.returncode == 0, r.stderr
    d = idx.load(dest)
    assert d.train.features.dtype == np.uint8 and d.test.features.tolist() == [[255, 0]]
    assert d.train.labels.tolist() == [1, 0, 1]


def _npy(tmp_path, x, y, name="x"):
    np.save(tmp_path / f"{name}.npy", x)
    np.save(tmp_path / f"{name}-y.npy", y)
    return ["--train", str(tmp_path / f"{name}.npy"), "--train-labels",
            str(tmp_path / f"{name}-y.npy")]


def _two_csv(tmp_path, train_rows, test_rows):
    return ["--train", str(_csv(tmp_path / "tr.csv", train_rows, "")),
            "--test", str(_csv(tmp_path / "te.csv", test_rows, ""))]


X = np.arange(40, dtype=np.float64).reshape(10, 4)
Y = np.arange(10) % 2

# name -> (builder(tmp_path) -> argv after the destination, exit code, words in the message)
BAD = {
    "ragged-row": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD[:3] + ["1,2,0"] + GOOD))],
                   3, "s.csv:5: 3 fields, but the header has 4 (a ragged row)"),
    "text-field": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,two,3,0"]))],
                   3, "s.csv:12: column 2 is 'two', not a number"),
    "nan-feature": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,nan,3,0"]))],
                    3, "s.csv:12: NaN in feature 2"),
    "inf-feature": (lambda t: ["--train", str(_csv(t / "s.csv", ["inf,1,2,0"] + GOOD))],
                    3, "s.csv:2: inf in feature 1"),
    "empty-field": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,,3,0"]))],
                    3, "s.csv:12: column 2 is empty"),
    # what Python's float() takes but no CSV writer means: digit groups, hex, other scripts
    "not-plain-decimal": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + [
        "1,2,1_000,0", "0x1f,2,3,0", "\u0661,2,3,0", "1e,2,3,0"]))],
        3, "s.csv:12: column 3 is '1_000', not a number"),
    "headerless-bad-first-row": (lambda t: ["--train", str(_csv(t / "s.csv", ["x,2,3,0"] +
                                                                GOOD[1:], ""))],
                                 3, "s.csv:1: column 1 is 'x', not a number"),
    "unclosed-quote": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ['1,"2,3,0']))],
                       3, "s.csv:12: not CSV (unexpected end of data)"),
    "field-beyond-csv-limit": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + [
        "1," + "9" * 200000 + ",3,0"]))], 3, "s.csv:12: not CSV (field larger than"),
    "minus-inf-feature": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,2,-inf,1"]))],
                          3, "inf in feature 3"),
    "beyond-float32": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1e39,2,3,1"]))],
                       3, "beyond float32's range"),
    "label-outside-classes": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)),
                                         "--classes", "2"],
                              3, "s.csv:4: label 2 outside the 2 classes"),
    "label-negative": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,2,3,-1"]))],
                       3, "label -1 is not an integer class"),
    "label-fraction": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,2,3,1.5"]))],
                       3, "label 1.5 is not an integer class"),
    "label-256": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["1,2,3,256"]))],
                  3, "label 256 is not an integer class"),
    "one-class": (lambda t: ["--train", str(_csv(t / "s.csv", ["1,2,3,0"] * 5))],
                  3, "at least 2 classes"),
    "empty-csv": (lambda t: ["--train", str(_csv(t / "s.csv", []))], 3, "no rows of data"),
    "one-column": (lambda t: ["--train", str(_csv(t / "s.csv", ["1", "0"], ""))],
                   3, "one column"),
    "feature-count-differs": (lambda t: _two_csv(t, ["1,2,0", "3,4,1"], ["1,2,3,0"]),
                              3, "te.csv: 3 features per sample, but"),
    "uint8-out-of-range": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD + ["300,2,3,1"])),
                                      "--uint8"], 3, "--uint8 needs integers 0 to 255"),
    "missing-file": (lambda t: ["--train", str(t / "nope.csv")], 3, "nope.csv: missing file"),
    "directory": (lambda t: ["--train", str(t)], 3, "is a directory"),
    "npy-nan": (lambda t: _npy(t, np.where(X == 9, np.nan, X), Y), 3, "row 2: NaN in feature 2"),
    "npy-labels-length": (lambda t: _npy(t, X, Y[:7]), 3, "labels of shape (7,)"),
    "npy-object": (lambda t: _npy(t, np.array([[1, "a"]] * 10, dtype=object), Y),
                   3, "not a .npy array"),
    "npy-garbage": (lambda t: (t / "g.npy").write_bytes(b"not numpy") and
                    ["--train", str(t / "g.npy"), "--train-labels", str(t / "g.npy")],
                    3, "g.npy: not a .npy array"),
    "npy-strings": (lambda t: _npy(t, np.array([["1", "2"]] * 10), Y), 3, "numeric array"),
    "npy-1d-features": (lambda t: _npy(t, np.arange(10.0), Y), 3, "[samples, features...]"),
    "npy-feature-count-differs": (
        lambda t: _npy(t, X, Y) + _npy(t, X[:, :3], Y, "t")[0:0] +
        ["--test", str(t / "t.npy"), "--test-labels", str(t / "t-y.npy")],
        3, "t.npy: 3 features per sample, but"),
    "npy-label-outside-classes": (lambda t: _npy(t, X, np.arange(10)) + ["--classes", "5"],
                                  3, "x-y.npy: row 5: label 5 outside the 5 classes"),
    "npy-no-features": (lambda t: _npy(t, np.zeros((10, 0)), Y), 3, "at least one of each"),
    # the command line: exit 2
    "test-share-with-test": (lambda t: _two_csv(t, GOOD[1:], GOOD[1:]) + ["--test-share",
                                                                           "0.3"],
                             2, "--test-share: not with --test"),
    "seed-with-test": (lambda t: _two_csv(t, GOOD[1:], GOOD[1:]) + ["--seed", "3"],
                       2, "--seed: not with --test"),
    "label-column-with-npy": (lambda t: _npy(t, X, Y) + ["--label-column", "0"],
                              2, "--label-column: "),
    "npy-without-labels": (lambda t: _npy(t, X, Y)[:2], 2, "needs its labels"),
    "labels-with-csv": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)), "--train-labels",
                                   str(t / "y.npy")], 2, "separate labels go with .npy"),
    "test-labels-alone": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)), "--test-labels",
                                     str(t / "y.npy")], 2, "--test-labels: needs --test"),
    "test-share-0": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)), "--test-share", "0"],
                     2, "--test-share 0.0"),
    "test-share-too-big": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)),
                                      "--test-share", "1.5"], 2, "--test-share 1.5"),
    "label-column-outside": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)),
                                        "--label-column", "9"], 2, "--label-column 9"),
    "classes-1": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)), "--classes", "1"],
                  2, "--classes 1"),
    "uint8-and-standardize": (lambda t: ["--train", str(_csv(t / "s.csv", GOOD)), "--uint8",
                                         "--standardize"], 2, "not allowed with"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_line_nothing_written(case, tmp_path):
    build, code, words = BAD[case]
    src = tmp_path / "src"
    src.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    r = run(["hdrnn-data", "import", str(out / "set")] + build(src))
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert list(out.iterdir()) == []  # no set, no staging directory


def test_existing_destination_needs_force(tmp_path):
    src = _csv(tmp_path / "s.csv", GOOD)
    dest = tmp_path / "set"
    assert run(["hdrnn-data", "import", str(dest), "--train", str(src)]).returncode == 0
    r = run(["hdrnn-data", "import", str(dest), "--train", str(src)])
    assert r.returncode == 2 and "--force" in r.stderr
    (tmp_path / "t.csv").write_text("x,label\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    r = run(["hdrnn-data", "import", str(dest), "--train", str(tmp_path / "t.csv"), "--force"])
    assert r.returncode == 0, r.stderr
    assert idx.load(dest).inputs == 1  # replaced whole


@pytest.mark.parametrize("kind", ["own-directory", "file", "source-inside"])
def test_force_never_deletes_what_it_did_not_make(kind, tmp_path):
    src = _csv(tmp_path / "s.csv", GOOD)
    dest = tmp_path / "dest"
    if kind == "file":
        dest.write_text("mine")
    else:
        dest.mkdir()
        (dest / "keep").write_text("mine")
    if kind == "source-inside":
        (dest / "import.json").write_text("{}")  # looks like a set of ours
        src = _csv(dest / "s.csv", GOOD)
    r = run(["hdrnn-data", "import", str(dest), "--train", str(src), "--force"])
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (dest.read_text() if kind == "file" else (dest / "keep").read_text()) == "mine"


def test_csv_past_one_block_keeps_rows_and_lines(tmp_path):
    """More rows than a parsing block (importer.BLOCK_ROWS): every row lands once, in
    order, and an error in a later block names its own line."""
    from hdrnn import importer
    n = 2 * importer.BLOCK_ROWS + 123
    x = (np.arange(n * 3).reshape(n, 3) % 251).astype(np.float64)
    rows = [f"{a:g},{b:g},{c:g},{i % 2}" for i, (a, b, c) in enumerate(x)]
    src = _csv(tmp_path / "s.csv", rows)
    dest = tmp_path / "set"
    r = run(["hdrnn-data", "import", str(dest), "--train", str(src), "--uint8"])
    assert r.returncode == 0, r.stderr
    d = idx.load(dest)
    got = np.concatenate([d.train.features, d.test.features]).astype(np.float64)
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, x.tolist()))
    for bad, words in (("1,nan,3,0", "NaN in feature 2"), ("1,2,300,0", "feature 3 is 300")):
        line = importer.BLOCK_ROWS + 77  # in the second block (line 1 is the header)
        rows2 = rows[:line - 2] + [bad] + rows[line - 1:]
        src2 = _csv(tmp_path / "s2.csv", rows2)
        r = run(["hdrnn-data", "import", str(tmp_path / "bad"), "--train", str(src2),
                 "--uint8"])
        assert r.returncode == 3 and f"s2.csv:{line}: {words}" in r.stderr, r.stderr
