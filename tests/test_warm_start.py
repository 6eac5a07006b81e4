"""Warm start (docs/contract.md): --weights-in replaces the PRNG init, --first-epoch K
trains from the shuffle stream's epoch K. Training E1 epochs, writing the weights and
training E2 more from them equals training E1 + E2 in one run, bit for bit, in every
trainer; a weights file that does not fit the network is one line and exit 3."""

import json
import os
import struct

import numpy as np
import pytest

from corrupt import write_small
from helpers import TRAINERS, run, trainer_cmd
from hdrnn import contract, safetensors_io

IMPLS = sorted(TRAINERS)
HIDDEN = "8,4"
SIZES = contract.layer_sizes([8, 4])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_small(tmp_path_factory.mktemp("small"), 70, 30)


def _train(impl, data, out, *extra):
    r = run(trainer_cmd(impl) + ["--data", str(data), "--hidden", HIDDEN, "--batch", "7",
                                 "--weights-out", str(out), *extra])
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


@pytest.mark.parametrize("impl", IMPLS)
def test_resumed_epochs_equal_one_run(impl, small, tmp_path):
    whole, first, rest = (tmp_path / n for n in ("whole.st", "first.st", "rest.st"))
    _train(impl, small, whole, "--epochs", "3")
    _train(impl, small, first, "--epochs", "1")
    events = _train(impl, small, rest, "--epochs", "2", "--weights-in", str(first),
                    "--first-epoch", "2")
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [2, 3]
    a, b = safetensors_io.load(whole), safetensors_io.load(rest)
    assert a.keys() == b.keys()
    assert all(a[k].tobytes() == b[k].tobytes() for k in a), "not bitwise equal"
    # a different epoch's shuffle gives different weights: the option is not ignored
    other = tmp_path / "other.st"
    _train(impl, small, other, "--epochs", "2", "--weights-in", str(first))
    assert any(a[k].tobytes() != safetensors_io.load(other)[k].tobytes() for k in a)


@pytest.mark.parametrize("impl", ["c", "numpy"])
def test_weights_in_with_zero_epochs_writes_them_back(impl, small, tmp_path):
    """--epochs 0 --weights-in F --weights-out G: G holds F's values (read exactly)."""
    rng = np.random.default_rng(3)
    params = [(rng.standard_normal((o, i)).astype(np.float32),
               rng.standard_normal(o).astype(np.float32))
              for i, o in zip(SIZES[:-1], SIZES[1:])]
    src, out = tmp_path / "src.st", tmp_path / "out.st"
    safetensors_io.save(src, contract.tensors_of(params))
    _train(impl, small, out, "--epochs", "0", "--weights-in", str(src))
    a, b = safetensors_io.load(src), safetensors_io.load(out)
    assert all(a[k].tobytes() == b[k].tobytes() for k in a)


def _good_tensors():
    rng = np.random.default_rng(1)
    return {name: rng.standard_normal(arr.shape).astype(np.float32) for name, arr in
            contract.tensors_of([(np.zeros((o, i)), np.zeros(o)) for i, o in
                                 zip(SIZES[:-1], SIZES[1:])]).items()}


def _raw(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _bad_files(d):
    """name -> (path, words the one-line error must hold)."""
    t = _good_tensors()
    out = {}

    def save(name, tensors, words):
        path = d / f"{name}.st"
        safetensors_io.save(path, tensors)
        out[name] = (path, words)

    save("missing-tensor", {k: v for k, v in t.items() if k != "layers.2.bias"},
         "missing tensor layers.2.bias")
    save("unexpected-tensor", {**t, "layers.3.weight": np.zeros((1, 1), np.float32)},
         "unexpected tensor 'layers.3.weight'")
    save("wrong-shape", {**t, "layers.1.weight": np.zeros((4, 9), np.float32)},
         "layers.1.weight has shape [4,9]")
    save("transposed", {**t, "layers.0.weight": t["layers.0.weight"].T.copy()},
         "layers.0.weight has shape [784,8]")
    nan = {k: v.copy() for k, v in t.items()}
    nan["layers.1.bias"][2] = np.nan
    save("nan", nan, "layers.1.bias holds NaN or inf")
    inf = {k: v.copy() for k, v in t.items()}
    inf["layers.0.weight"][0, 0] = np.inf
    save("inf", inf, "layers.0.weight holds NaN or inf")
    save("empty-net", {}, "missing tensor layers.0.weight")
    good = d / "good.st"
    safetensors_io.save(good, t)
    blob = good.read_bytes()
    (d / "truncated.st").write_bytes(blob[:-5])
    out["truncated"] = (d / "truncated.st", "layers.2.bias")
    (d / "header-too-long.st").write_bytes(struct.pack("<Q", 1 << 40) + blob[8:])
    out["header-too-long"] = (d / "header-too-long.st", "safetensors")
    (d / "not-json.st").write_bytes(struct.pack("<Q", 6) + b"{oops}" + b"\0" * 8)
    out["not-json"] = (d / "not-json.st", "safetensors")
    (d / "empty.st").write_bytes(b"")
    out["empty"] = (d / "empty.st", "safetensors")
    hdr = {"layers.0.weight": {"dtype": "F16", "shape": [8, 784],
                               "data_offsets": [0, 8 * 784 * 2]}}
    (d / "f16.st").write_bytes(_raw(hdr, b"\0" * (8 * 784 * 2)))
    out["f16"] = (d / "f16.st", "layers.0.weight")
    hdr = {"layers.0.weight": {"dtype": "F32", "shape": [8, 784],
                               "data_offsets": [0, 2 ** 40]}}
    (d / "offsets.st").write_bytes(_raw(hdr, b""))
    out["offsets-past-end"] = (d / "offsets.st", "layers.0.weight")
    deep = b'{"__metadata__":' + b"[" * 5000 + b"}"
    (d / "nested.st").write_bytes(struct.pack("<Q", len(deep)) + deep)
    out["deep-nesting"] = (d / "nested.st", "safetensors")
    out["directory"] = (d, str(d))
    os.mkfifo(d / "fifo")
    out["fifo"] = (d / "fifo", "regular file")
    out["missing-file"] = (d / "no-such.st", "no-such.st")
    return out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return _bad_files(tmp_path_factory.mktemp("bad-weights"))


BAD = ["missing-tensor", "unexpected-tensor", "wrong-shape", "transposed", "nan", "inf",
       "empty-net", "truncated", "header-too-long", "not-json", "empty", "f16",
       "offsets-past-end", "deep-nesting", "directory", "fifo", "missing-file"]


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("impl", sorted(k for k in TRAINERS if not k.endswith("-tuned")))
def test_a_weights_file_that_does_not_fit_is_one_line(impl, case, bad_files, small,
                                                      tmp_path):
    path, words = bad_files[case]
    out = tmp_path / "w.st"
    r = run(trainer_cmd(impl) + ["--data", str(small), "--hidden", HIDDEN, "--epochs", "1",
                                 "--weights-in", str(path), "--weights-out", str(out)],
            timeout=60)
    assert r.returncode == 3, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not out.exists() and r.stdout == ""


def test_runner_starts_every_run_from_the_given_weights(small, tmp_path):
    """hdrnn-run --weights-in: each run (and the agreement check) gets the file, the
    session records its sha256, and --resume refuses a changed file."""
    trainer_cmd("c")  # skips or fails like the other tests when hdrnn-c is not built
    w = tmp_path / "init.st"
    _train("numpy", small, w, "--epochs", "1")

    def hdrnn_run(out, *hidden, weights=str(w)):
        args = ["hdrnn-run", "--impl", "c,numpy", "--data", str(small), "--epochs", "1",
                "--reps", "1", "--batch", "7", "--quiet", "--weights-in", weights,
                "--out", str(out)]
        for h in hidden:
            args += ["--hidden", h]
        return run(args, timeout=300)

    out = tmp_path / "res"
    r = hdrnn_run(out, HIDDEN)
    assert r.returncode == 0, r.stderr
    session = json.loads((out / "session.json").read_text())
    assert session["weights_in"]["path"] == str(w.absolute())
    assert len(session["weights_in"]["sha256"]) == 64
    records = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    assert len(records) >= 2
    for rec in records:
        i = rec["argv"].index("--weights-in")
        assert rec["argv"][i + 1] == str(w.absolute())
    # refusals, each before any run: several shapes, a file that does not fit, empty
    r = hdrnn_run(tmp_path / "x", "8", "16")
    assert r.returncode == 2 and "give a single --hidden" in r.stderr, r.stderr
    r = hdrnn_run(tmp_path / "y", "16,4")
    assert r.returncode == 3 and "layers.0.weight has shape [8,784]" in r.stderr, r.stderr
    r = hdrnn_run(tmp_path / "z", HIDDEN, weights="")
    assert r.returncode == 2 and "empty path" in r.stderr, r.stderr
    assert not any((tmp_path / n).exists() for n in "xyz")
    # a changed file cannot be resumed from
    next((out / "runs").glob("*.json")).unlink()
    _train("numpy", small, w, "--epochs", "2")
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"], timeout=300)
    assert r.returncode == 3 and "initial weights changed" in r.stderr, r.stderr
