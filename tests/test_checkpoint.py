"""Power-loss-safe checkpoints (docs/contract.md): a run killed with SIGKILL at random
points and continued with --resume-from ends with the weights of an uninterrupted run,
bit for bit, in every trainer; a checkpoint of another run, or one that is not a
checkpoint, is one line and exit 3."""

import json
import random
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from corrupt import write_small
from helpers import TRAINERS, run, trainer_cmd
from hdrnn import safetensors_io

# NAME-stream: killed and resumed with --data-mode stream, against the in-memory run
IMPLS = sorted(k for k in TRAINERS if not k.endswith("-tuned")) + ["c-tuned", "c-stream",
                                                                  "eigen-stream"]
KILLS = 3  # per trainer


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_small(tmp_path_factory.mktemp("ckdata"), 1500, 50)


def _args(data, *extra):
    return ["--data", str(data), "--hidden", "16,8", "--epochs", "3", "--batch", "7",
            "--quiet", *extra]


def _position(path):
    meta = safetensors_io.read(path)[1]
    return int(meta["next_epoch"]), int(meta["next_batch"])


@pytest.mark.parametrize("impl", IMPLS)
def test_killed_and_resumed_equals_uninterrupted(impl, data, tmp_path):
    cmd = trainer_cmd(impl.removesuffix("-stream"))
    mode = ["--data-mode", "stream"] if impl.endswith("-stream") else []
    ref = tmp_path / "ref.st"
    t0 = time.monotonic()
    r = run(cmd + _args(data, "--weights-out", str(ref)))
    assert r.returncode == 0, r.stderr
    wall = time.monotonic() - t0
    events = [json.loads(line) for line in r.stdout.splitlines()]
    training = sum(e["train_s"] + e["eval_s"] for e in events if e["event"] == "epoch")
    startup = wall - training  # process start, imports, data: no checkpoint yet
    rng = random.Random(f"{impl}-kills")
    resumed_mid_run = 0
    for trial in range(KILLS):
        ck, out = tmp_path / f"ck{trial}.st", tmp_path / f"out{trial}.st"
        args = _args(data, "--checkpoint", str(ck), "--checkpoint-every", "13",
                     "--weights-out", str(out), *mode)
        p = subprocess.Popen(cmd + args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(startup + rng.uniform(0.1, 0.9) * training)
        p.send_signal(signal.SIGKILL)
        p.wait()
        # what a supervisor (hdrnn-run, a systemd unit) does after the power comes back
        resume = ["--resume-from", str(ck)] if ck.exists() else []
        if resume:
            resumed_mid_run += _position(ck) != (1, 0)
        r = run(cmd + args + resume)
        assert r.returncode == 0, r.stderr
        events = [json.loads(line) for line in r.stdout.splitlines()]
        epochs = [e["epoch"] for e in events if e["event"] == "epoch"]
        assert epochs == list(range(4 - len(epochs), 4))  # go on where the run stopped
        a, b = safetensors_io.load(ref), safetensors_io.load(out)
        assert all(a[k].tobytes() == b[k].tobytes() for k in a), f"trial {trial}"
        assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []
    assert resumed_mid_run, "no kill landed after a checkpoint: the test proved nothing"


@pytest.fixture(scope="module")
def data_f32(data, tmp_path_factory):
    """The same set with float32 features (IDX 0x0D), as hdrnn-data import writes them."""
    from hdrnn import idx
    d = idx.load(data)
    out = tmp_path_factory.mktemp("ckdata-f32")
    idx.write_dataset(out, *(idx.Split(s.features.astype(np.float32) / 255, s.labels)
                             for s in (d.train, d.test)))
    return out


def _checkpoint(tmp_path, data, **meta_changes):
    """A real mid-run checkpoint of hdrnn-numpy, its metadata edited."""
    ck = tmp_path / "ck.st"
    r = run(trainer_cmd("numpy") + _args(data, "--epochs", "1", "--checkpoint", str(ck)))
    assert r.returncode == 0, r.stderr
    tensors, meta = safetensors_io.read(ck)
    meta.update(meta_changes)
    meta = {k: v for k, v in meta.items() if v is not None}
    bad = tmp_path / "bad.st"
    safetensors_io.save(bad, {k: np.array(v) for k, v in tensors.items()}, meta)
    return bad


BAD = {
    "weights-only": ({"hdrnn_checkpoint": None}, "not a checkpoint"),
    "other-hidden-label": ({"hidden": "16,9"}, "another run (hidden 16,9"),
    "other-batch": ({"batch": "8"}, "another run (batch 8"),
    "other-seed": ({"seed": "2"}, "another run (seed 2"),
    "other-lr": ({"lr": "2.5"}, "another run (lr 2.5"),
    "other-train-set": ({"train": "1400"}, "another run (train 1400"),
    "other-labels": ({"train_labels": "0123456789abcdef"},
                     "another run (train_labels 0123456789abcdef"),
    "no-labels": ({"train_labels": None}, "another run (train_labels none"),
    "other-features": ({"train_features": "0badf00d"}, "another run (train_features 0badf00d"),
    "no-features": ({"train_features": None}, "another run (train_features none"),
    "batch-past-epoch": ({"next_batch": "215"}, "bad position"),
    "negative-batch": ({"next_batch": "-1"}, "bad position"),
    "epoch-0": ({"next_epoch": "0"}, "bad position"),
    "epoch-text": ({"next_epoch": "two"}, "bad position"),
    "no-position": ({"next_epoch": None}, "bad position"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("impl", sorted(k for k in TRAINERS if not k.endswith("-tuned")))
def test_a_checkpoint_of_another_run_is_refused(impl, case, data, tmp_path):
    changes, words = BAD[case]
    bad = _checkpoint(tmp_path, data, **changes)
    out = tmp_path / "w.st"
    r = run(trainer_cmd(impl) + _args(data, "--resume-from", str(bad), "--weights-out",
                                      str(out)), timeout=120)
    assert r.returncode == 3, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()


@pytest.mark.parametrize("kind", ["uint8", "float32"])
@pytest.mark.parametrize("impl", sorted(k for k in TRAINERS if not k.endswith("-tuned")) +
                         ["c-stream", "eigen-stream"])
def test_any_trainer_goes_on_from_another_s_checkpoint(impl, kind, data, data_f32, tmp_path):
    """A checkpoint hdrnn-numpy wrote is this run's for every trainer: the same identity
    (the training labels' FNV-1a and the features' CRC-32 included) in C, C++ and Python,
    from memory or from the file (stream mode), for bytes and for float32."""
    d = data if kind == "uint8" else data_f32
    ck = _checkpoint(tmp_path, d)
    mode = ["--data-mode", "stream"] if impl.endswith("-stream") else []
    r = run(trainer_cmd(impl.removesuffix("-stream")) + _args(d, "--resume-from", str(ck),
                                                              *mode), timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_checkpoint_on_other_data_of_the_same_size_is_refused(data, tmp_path):
    """Another split of the same size: the labels differ, the checkpoint is refused."""
    from hdrnn import idx
    ck = _checkpoint(tmp_path, data)
    other = tmp_path / "other"
    shutil.copytree(data, other)
    labels = idx.read_labels(other / idx.TRAIN_LABELS)
    idx.write_labels(other / idx.TRAIN_LABELS, np.roll(labels, 1))
    for impl in ("c", "numpy"):
        r = run(trainer_cmd(impl) + _args(other, "--resume-from", str(ck)), timeout=120)
        assert r.returncode == 3 and "train_labels" in r.stderr, r.stderr


@pytest.mark.parametrize("kind", ["uint8", "float32"])
def test_a_checkpoint_on_other_features_with_the_same_labels_is_refused(kind, data, data_f32,
                                                                        tmp_path):
    """A re-import that changed only the features (one value of the last training sample
    here): the features' CRC-32 differs, the checkpoint is refused, in memory and stream
    mode."""
    from hdrnn import idx
    d = data if kind == "uint8" else data_f32
    ck = _checkpoint(tmp_path, d)
    other = tmp_path / "other"
    shutil.copytree(d, other)
    path = other / idx.TRAIN_IMAGES
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1  # a byte of the last sample: the lowest mantissa bit for float32
    path.write_bytes(bytes(blob))
    for impl, mode in (("c", []), ("c", ["--data-mode", "stream"]), ("eigen", []),
                       ("numpy", [])):
        r = run(trainer_cmd(impl) + _args(other, "--resume-from", str(ck), *mode),
                timeout=120)
        assert r.returncode == 3 and "train_features" in r.stderr, (impl, mode, r.stderr)
