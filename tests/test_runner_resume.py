"""hdrnn-run's run in flight: with --checkpoint-every, a session killed mid-run (the
runner alone, its trainer left running; or both, as a power cut) and resumed continues
that run from its checkpoint and ends with the very epochs of an uninterrupted session
(bitwise weights: the same correct counts every epoch)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from helpers import run
from hdrnn import safetensors_io

ARGS = ["--impl", "numpy-sample", "--hidden", "30", "--epochs", "3", "--reps", "1",
        "--train-limit", "6000", "--test-limit", "500", "--no-check", "--quiet",
        "--checkpoint-every", "50"]
RID = "numpy-sample__h30__r1"


def _record(out):
    return json.loads((out / "runs" / f"{RID}.json").read_text())


def _trainers_of(ckpt):
    pids = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(ckpt).encode() in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


@pytest.fixture(scope="module")
def uninterrupted(mnist10k, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "res"
    r = run(["hdrnn-run", "--data", str(mnist10k), "--out", str(out), *ARGS], timeout=600)
    assert r.returncode == 0, r.stderr
    rec = _record(out)
    assert rec["checkpoint_every"] == 50 and "resumed" not in rec
    assert not list((out / "checkpoints").iterdir())  # cleared after the run
    return rec


@pytest.mark.parametrize("kill", ["runner", "power-cut"])
def test_killed_session_resumes_the_run_in_flight(kill, mnist10k, uninterrupted, tmp_path):
    out = tmp_path / "res"
    p = subprocess.Popen(["hdrnn-run", "--data", str(mnist10k), "--out", str(out), *ARGS],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = out / "checkpoints" / f"{RID}.safetensors"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # into the second epoch, mid-epoch
        try:
            meta = safetensors_io.read(ckpt)[1]
            if int(meta["next_epoch"]) == 2 and int(meta["next_batch"]) >= 100:
                break
        except Exception:  # not there yet, or being replaced
            pass
        time.sleep(0.005)
    else:
        pytest.fail("no mid-epoch checkpoint in time")
    orphans = _trainers_of(ckpt)
    p.send_signal(signal.SIGKILL)
    p.wait()
    if kill == "power-cut":
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
    assert not (out / "runs" / f"{RID}.json").exists()
    r = run(["hdrnn-run", "--resume", str(out)], timeout=600)
    assert r.returncode == 0, r.stderr
    assert "resuming from its checkpoint" in r.stderr
    assert not _trainers_of(ckpt)  # the orphan was ended, not left to race the resume
    rec = _record(out)
    assert rec["status"] == "ok" and rec["resumed"] and rec["resumed"][0]["epoch"] >= 2
    assert "--resume-from" in rec["argv"]
    # every epoch's result equals the uninterrupted run's
    got = [(e["epoch"], e["correct"]) for e in rec["epoch_log"]]
    want = [(e["epoch"], e["correct"]) for e in uninterrupted["epoch_log"]]
    assert got == want
    assert rec["final_accuracy"] == uninterrupted["final_accuracy"]
    assert rec["train_s"] is None and rec["startup_s"] is None  # partial times left out
    assert not list((out / "checkpoints").iterdir())
    r = run(["hdrnn-report", str(out)], timeout=300)
    assert r.returncode == 0, r.stderr
    assert "were resumed from their checkpoints" in (out / "report" / "index.md").read_text()


C_ARGS = ["--impl", "c", "--hidden", "30", "--epochs", "3", "--reps", "1", "--train-limit",
          "2000", "--test-limit", "300", "--no-check", "--quiet", "--checkpoint-every", "20"]
C_RID = "c__h30__r1"


@pytest.fixture(scope="module")
def c_session(mnist10k, tmp_path_factory):
    out = tmp_path_factory.mktemp("c-whole") / "res"
    r = run(["hdrnn-run", "--data", str(mnist10k), "--out", str(out), *C_ARGS], timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def _flip_features_crc(path):
    import numpy as np
    tensors, meta = safetensors_io.read(path)
    meta["train_features"] = "0badf00d"
    safetensors_io.save(path, {k: np.array(v) for k, v in tensors.items()}, meta)


DAMAGE = {
    "none": lambda ck, so, ea: None,
    "checkpoint-garbage": lambda ck, so, ea: ck.write_bytes(os.urandom(500)),
    "checkpoint-truncated": lambda ck, so, ea: ck.write_bytes(ck.read_bytes()[:300]),
    "checkpoint-empty": lambda ck, so, ea: ck.write_bytes(b""),
    "checkpoint-of-other-data": lambda ck, so, ea: _flip_features_crc(ck),
    "stdout-garbage": lambda ck, so, ea: so.write_bytes(os.urandom(3000)),
    "stdout-missing": lambda ck, so, ea: so.unlink(),
    "earlier-garbage": lambda ck, so, ea: ea.write_text('{"epochs": 5, "resumed": "x"}'),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_run_in_flight_is_resumed_or_run_again(damage, c_session, tmp_path):
    """The state a power cut leaves after epoch 1 (checkpoint, the trainer's stdout so far),
    then damaged: --resume goes on from the checkpoint when what it needs is intact, and
    otherwise runs that run again from the start; the session ends complete either way,
    with the uninterrupted session's epochs."""
    out = tmp_path / "res"
    shutil.copytree(c_session, out)
    want = json.loads((out / "runs" / f"{C_RID}.json").read_text())
    (out / "runs" / f"{C_RID}.json").unlink()
    ck_dir = out / "checkpoints"
    ck, so, ea = (ck_dir / f"{C_RID}.safetensors", ck_dir / f"{C_RID}.stdout",
                  ck_dir / f"{C_RID}.earlier.json")
    argv = [a.replace(str(c_session), str(out)) for a in want["argv"]]
    argv[argv.index("--epochs") + 1] = "1"  # the attempt that the power cut ended
    with so.open("w") as f:
        assert subprocess.run(argv, stdout=f, stderr=subprocess.DEVNULL).returncode == 0
    assert safetensors_io.read(ck)[1]["next_epoch"] == "2"
    DAMAGE[damage](ck, so, ea)
    r = run(["hdrnn-run", "--resume", str(out)], timeout=600)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    rec = json.loads((out / "runs" / f"{C_RID}.json").read_text())
    assert rec["status"] == "ok"
    resumed = damage in ("none", "earlier-garbage")
    assert bool(rec.get("resumed")) == resumed, r.stderr
    if not resumed:
        assert "running it again from the start" in r.stderr
    got = [(e["epoch"], e["correct"]) for e in rec["epoch_log"]]
    assert got == [(e["epoch"], e["correct"]) for e in want["epoch_log"]]
    assert not list(ck_dir.iterdir())
