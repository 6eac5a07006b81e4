"""The agreement check (hdrnn-run --check): every implementation of today passes it at
every thesis size (for 2 seeds; `make fuzz`, HDRNN_FULL=1: the 5 its tolerance was
measured on), and a trainer with a real bug fails it."""

import json
import sys

from helpers import FULL, ROOT, run, trainer_cmd

SIZES = ["2", "4", "8", "32", "128", "32,16", "128,16"]


def _check(data, out, *args):
    hidden = [a for h in SIZES for a in ("--hidden", h)]
    return run(["hdrnn-run", *hidden, "--data", str(data), "--out", str(out), "--check",
                "--reps", "1", "--epochs", "0", "--quiet", *args], timeout=1200)


def test_every_implementation_agrees_at_every_size(mnist10k, tmp_path):
    for impl in ("c", "eigen", "numpy", "numpy-sample", "torch", "libtorch"):
        trainer_cmd(impl)
    seeds = 5 if FULL else 2
    r = _check(mnist10k, tmp_path / "res", "--check-seeds", str(seeds))
    assert r.returncode == 0, r.stderr
    agree = json.loads((tmp_path / "res" / "agreement.json").read_text())
    assert agree["reference"] == "numpy" and len(set(agree["seeds"])) == seeds
    impls = {x["impl"] for x in agree["rows"]}
    assert impls == {"c", "eigen", "numpy-sample", "torch", "libtorch"}
    assert len(agree["rows"]) == seeds * len(SIZES) * len(impls)
    assert not agree["failures"], agree["failures"][:3]


def test_a_real_bug_fails_the_check(mnist10k, tmp_path):
    """hdrnn-c replaced (through --native-bin) by a trainer whose bias update misses the
    learning rate: the check fails at every size, says so, and the session exits 1."""
    fake = tmp_path / "bin"
    fake.mkdir()
    exe = fake / "hdrnn-c"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'buggy_trainer.py'} "
                   '"$@"\n')
    exe.chmod(0o755)
    r = _check(mnist10k, tmp_path / "res", "--impl", "c,numpy", "--native-bin", str(fake))
    assert r.returncode == 1
    agree = json.loads((tmp_path / "res" / "agreement.json").read_text())
    assert len(agree["failures"]) == len(SIZES)
    for f in agree["failures"]:
        assert f["impl"] == "c" and f["max_abs"] > 100 * f["tolerance"]
    assert r.stderr.count("AGREEMENT CHECK FAILED") == len(SIZES)
