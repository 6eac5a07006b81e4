"""Every trainer, whatever its language, speaks the contract: JSON lines on stdout,
the exit codes 0/2/3, one-line errors, atomic weights."""

import json
import math
import shutil

import pytest

from helpers import TRAINERS, run, sampled, trainer_cmd
from corrupt import CORRUPT_ARGS, CORRUPTIONS, make_corrupt, write_small
from hdrnn import safetensors_io

IMPLS = sorted(k for k in TRAINERS if not k.endswith("-tuned"))  # same CLI code as untuned

BAD_ARGS = {
    "hidden-0": ["--hidden", "0"],
    "hidden-neg": ["--hidden", "30,-1"],
    "hidden-text": ["--hidden", "abc"],
    "hidden-empty-part": ["--hidden", "30,"],
    "lr-0": ["--lr", "0"],
    "lr-neg": ["--lr", "-1.5"],
    "lr-nan": ["--lr", "nan"],
    "lr-inf": ["--lr", "inf"],
    "lr-text": ["--lr", "fast"],
    "epochs-neg": ["--epochs", "-1"],
    "batch-0": ["--batch", "0"],
    "batch-text": ["--batch", "ten"],
    "unknown-option": ["--frobnicate"],
    "missing-value": ["--epochs"],
    "seed-neg": ["--seed", "-3"],
    "test-limit-text": ["--test-limit", "1e3"],
    "train-limit-0": ["--train-limit", "0"],
    # the contract's limits (docs/contract.md), the same in every language
    "hidden-too-wide": ["--hidden", "1000001"],
    "hidden-too-deep": ["--hidden", "1,1,1,1,1,1,1,1,1"],
    "batch-2^31": ["--batch", "2147483648"],
    "epochs-2^31": ["--epochs", "2147483648"],
    "seed-2^63": ["--seed", "9223372036854775808"],
    "hidden-beyond-64-bits": ["--hidden", "123456789012345678901234567890"],
    "lr-step-overflows-float32": ["--lr", "1e40"],
    "weights-out-empty": ["--weights-out", ""],
    "weights-in-empty": ["--weights-in", ""],
    "first-epoch-0": ["--first-epoch", "0"],
    "first-epoch-text": ["--first-epoch", "two"],
    "first-epoch-past-2^31": ["--first-epoch", "2147483647", "--epochs", "2"],
    "checkpoint-empty": ["--checkpoint", ""],
    "resume-from-empty": ["--resume-from", ""],
    "checkpoint-every-0": ["--checkpoint", "ck.st", "--checkpoint-every", "0"],
    "checkpoint-every-alone": ["--checkpoint-every", "5"],
    "resume-from-with-weights-in": ["--resume-from", "a.st", "--weights-in", "b.st"],
    "resume-from-with-first-epoch": ["--resume-from", "a.st", "--first-epoch", "2"],
    "data-empty": ["--data", ""],
    "classes-1": ["--classes", "1"],
    "classes-257": ["--classes", "257"],
    "classes-text": ["--classes", "ten"],
    "classes-empty": ["--classes", ""],
    "data-mode-unknown": ["--data-mode", "mmap"],
    "target-accuracy-0": ["--target-accuracy", "0"],
    "target-accuracy-1.5": ["--target-accuracy", "1.5"],
    "target-accuracy-nan": ["--target-accuracy", "nan"],
    "patience-0": ["--patience", "0"],
    "patience-text": ["--patience", "some"],
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_small(tmp_path_factory.mktemp("small"), 60, 30)


def _lines(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("impl", IMPLS)
def test_output_is_json_lines(impl, small, tmp_path):
    cmd = trainer_cmd(impl)
    w = tmp_path / "w.safetensors"
    r = run(cmd + ["--data", str(small), "--hidden", "8,4", "--epochs", "2",
                   "--batch", "7", "--weights-out", str(w)])
    assert r.returncode == 0, r.stderr
    events = _lines(r.stdout)
    assert [e["event"] for e in events] == ["start", "epoch", "epoch", "done"]
    start = events[0]
    assert start["impl"] == impl and start["hidden"] == [8, 4]
    assert start["params"] == 784 * 8 + 8 + 8 * 4 + 4 + 4 * 10 + 10
    assert (start["train"], start["test"]) == (60, 30)
    for n, e in enumerate(events[1:3], 1):
        assert e["epoch"] == n and e["total"] == 30 and 0 <= e["correct"] <= 30
        assert math.isclose(e["accuracy"], e["correct"] / 30)
        assert e["train_s"] >= 0 and e["eval_s"] >= 0
    assert events[-1]["seconds"] > 0
    t = safetensors_io.load(w)
    assert {k: v.shape for k, v in t.items()} == {
        "layers.0.weight": (8, 784), "layers.0.bias": (8,),
        "layers.1.weight": (4, 8), "layers.1.bias": (4,),
        "layers.2.weight": (10, 4), "layers.2.bias": (10,)}
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temp left


@pytest.mark.parametrize("impl", IMPLS)
def test_limits(impl, small):
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "1",
                                 "--train-limit", "11", "--test-limit", "1000"])
    assert r.returncode == 0, r.stderr
    start = _lines(r.stdout)[0]
    assert (start["train"], start["test"]) == (11, 30)


@pytest.mark.parametrize("epochs", ["0", "1"])
@pytest.mark.parametrize("impl", IMPLS)
def test_quiet_run_writes_nothing_to_stderr(impl, epochs, small, tmp_path):
    # library warnings count too: a quiet benchmark log must stay empty
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", epochs, "--quiet",
                                 "--weights-out", str(tmp_path / "w.safetensors")])
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("impl,bad", sampled(BAD_ARGS))
def test_bad_command_line_exit_2(impl, bad, small):
    r = run(trainer_cmd(impl) + ["--data", str(small)] + BAD_ARGS[bad])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize("impl", IMPLS)
def test_stream_mode_only_where_supported(impl, small):
    """hdrnn-c and hdrnn-eigen stream; the others say so, exit 2, before loading."""
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "1", "--data-mode",
                                 "stream"])
    if impl in ("c", "eigen"):
        assert r.returncode == 0, r.stderr
        assert _lines(r.stdout)[0]["data_mode"] == "stream"
    else:
        assert r.returncode == 2 and r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and "stream" in r.stderr


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
@pytest.mark.parametrize("impl", ["c", "eigen"])
def test_bad_data_exit_3_in_stream_mode(impl, kind, tmp_path):
    """The files are checked whole before the first batch is read from them."""
    d, fname, words = make_corrupt(tmp_path, kind)
    r = run(trainer_cmd(impl) + ["--data", str(d), "--epochs", "1", "--data-mode",
                                 "stream"] + CORRUPT_ARGS.get(kind, []))
    assert r.returncode == 3 and r.stdout == "", (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fname in lines[0] and words in lines[0], r.stderr


@pytest.mark.parametrize("impl", IMPLS)
def test_missing_data_option_exit_2(impl):
    r = run(trainer_cmd(impl) + ["--epochs", "1"])
    assert r.returncode == 2 and r.stdout == ""


@pytest.mark.parametrize("impl,kind", sampled(CORRUPTIONS))
def test_bad_data_exit_3(impl, kind, tmp_path):
    d, fname, words = make_corrupt(tmp_path, kind)
    w = tmp_path / "w.safetensors"
    r = run(trainer_cmd(impl) + ["--data", str(d), "--epochs", "1",
                                 "--weights-out", str(w)] + CORRUPT_ARGS.get(kind, []))
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert r.stdout == ""  # never a result it did not compute
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fname in lines[0] and words in lines[0], r.stderr
    assert not w.exists()


@pytest.mark.parametrize("impl", IMPLS)
def test_data_dir_missing_exit_3(impl, tmp_path):
    r = run(trainer_cmd(impl) + ["--data", str(tmp_path / "nope"), "--epochs", "1"])
    assert r.returncode == 3 and "nope" in r.stderr


def _special(kind, tmp_path):
    """A non-regular file: a FIFO nobody writes to (open would wait for ever), a device
    that reads without end, a directory."""
    import os
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("impl,kind", sampled(["fifo", "device", "directory"]))
def test_non_regular_data_file_exit_3(impl, kind, small, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(small, d)
    (d / "t10k-labels-idx1-ubyte").unlink()
    victim = _special(kind, tmp_path)
    (d / "t10k-labels-idx1-ubyte").symlink_to(victim)
    r = run(trainer_cmd(impl) + ["--data", str(d), "--epochs", "1"], timeout=60)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "t10k-labels-idx1-ubyte" in r.stderr and "regular file" in r.stderr or \
        "directory" in r.stderr


@pytest.mark.parametrize("impl,which", sampled(["test", "train"]))
def test_empty_set_exit_3(impl, which, tmp_path):
    d = write_small(tmp_path / "d", 0 if which == "train" else 20, 0 if which == "test" else 20)
    r = run(trainer_cmd(impl) + ["--data", str(d), "--epochs", "1"])
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert r.stdout == "" and "no samples" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("impl", IMPLS)
def test_huge_batch_is_the_whole_set(impl, small):
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "1", "--batch",
                                 "2147483647"])
    assert r.returncode == 0, r.stderr


def _near_path_max(tmp_path):
    """A path of about PATH_MAX (4096) bytes in existing directories: the temporary name
    beside it no longer fits."""
    d = tmp_path
    while len(str(d)) < 4096 - 300:
        d = d / ("d" * 200)
    d.mkdir(parents=True)
    return d / ("w" * (4090 - len(str(d))))


@pytest.mark.parametrize("impl,kind", sampled(["fifo", "device", "directory", "too-long",
                                               "path-max"]))
def test_weights_out_only_to_a_regular_or_new_file(impl, kind, small, tmp_path):
    import os
    import stat
    if kind == "path-max":
        target = _near_path_max(tmp_path)
        r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "0", "--weights-out",
                                     str(target)], timeout=60)
        assert r.returncode == 4, (r.returncode, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
        assert list(target.parent.iterdir()) == []  # neither the file nor a temporary one
        return
    target = tmp_path / ("w" * 250) if kind == "too-long" else _special(kind, tmp_path)
    mode = os.lstat(target).st_mode if target.exists() or target.is_symlink() else None
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "0", "--weights-out",
                                 str(target)], timeout=60)
    assert r.returncode == 4, (r.returncode, r.stderr)
    assert str(target.name) in r.stderr and len(r.stderr.strip().splitlines()) == 1
    if mode is not None:  # untouched: still the link, pipe or directory it was
        assert os.lstat(target).st_mode == mode and not stat.S_ISREG(mode)
    assert [p.name for p in tmp_path.iterdir()] == ([target.name] if mode else []) or \
        kind == "device"  # no temporary file left behind


@pytest.mark.parametrize("impl", ["c", "eigen", "libtorch"])
def test_native_build_names_the_one_version(impl, small):
    """The version is written once (hdrnn/__init__.py); the native build reads it there."""
    import importlib.metadata

    import hdrnn
    r = run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "0"])
    assert r.returncode == 0, r.stderr
    assert _lines(r.stdout)[0]["hdrnn"] == hdrnn.__version__
    assert importlib.metadata.version("hdrnn") == hdrnn.__version__


@pytest.mark.parametrize("impl", ["numpy", "numpy-sample"])
def test_python_initialisation_memory_is_the_network(impl, small):
    """The PRNG's normals go into the float32 weights in chunks: initialising 784-5000-10
    (3.97 M parameters, 16 MB) stays near the interpreter plus the weights, where whole-size
    Python lists took ~29x the network."""
    from hdrnn.runner import measure
    m = measure.run(trainer_cmd(impl) + ["--data", str(small), "--epochs", "0",
                                         "--hidden", "5000"], timeout=300)
    assert m.exit_code == 0, m.stderr_tail
    assert m.max_rss_kib < 200 * 1024, m.max_rss_kib


def _accuracies(impl, data, *extra):
    r = run(trainer_cmd(impl) + ["--data", str(data), "--hidden", "8", "--batch", "5",
                                 "--lr", "1.0", *extra])
    assert r.returncode == 0, r.stderr
    events = _lines(r.stdout)
    return [e["correct"] for e in events if e["event"] == "epoch"], events[-1]


@pytest.mark.parametrize("impl", IMPLS)
def test_early_stopping(impl, small, tmp_path):
    """--target-accuracy A stops after the first epoch whose test accuracy reaches A;
    --patience N after N epochs in a row without a better one; the done event says why.
    A run resumed from its checkpoint stops where the one run does."""
    full, done = _accuracies(impl, small, "--epochs", "8")
    assert "stopped" not in done and len(full) == 8
    # a target reached at some epoch after the first, against the run's own trajectory
    k = next((i for i in range(1, 8) if full[i] > max(full[:i])), 0)
    target = full[k] / 30
    got, done = _accuracies(impl, small, "--epochs", "8", "--target-accuracy", repr(target))
    first = next(i for i, c in enumerate(full) if c / 30 >= target)
    assert got == full[:first + 1] and done["stopped"] == "target", (full, got)
    best, since, stop = -1, 0, len(full)
    for i, c in enumerate(full):
        best, since = (c, 0) if c > best else (best, since + 1)
        if since >= 1:
            stop = i + 1
            break
    got, done = _accuracies(impl, small, "--epochs", "8", "--patience", "1")
    assert got == full[:stop], (full, got)
    assert done.get("stopped") == ("patience" if stop < 8 else None)
    # 2 epochs with a checkpoint, then resumed: the same stop as in one run
    ck = tmp_path / "ck.safetensors"
    _accuracies(impl, small, "--epochs", "2", "--patience", "1", "--checkpoint", str(ck))
    rest, done = _accuracies(impl, small, "--epochs", "8", "--patience", "1",
                             "--resume-from", str(ck))
    assert full[:2] + rest == full[:stop] or (stop <= 2 and rest == []), (full, rest)
