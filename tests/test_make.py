"""The README's main job: make bench times the host-tuned build on x86 (the build is
named in every run record) and keeps earlier results (a new directory per run)."""

import platform
import re
import subprocess

from helpers import ROOT


def _bench_commands():
    r = subprocess.run(["make", "-n", "bench"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_bench_keeps_earlier_results_and_names_its_build():
    out = _bench_commands()
    run_line = next(line for line in out.splitlines() if "hdrnn-run --preset quick" in line)
    assert re.search(r"--out build/results/quick-\d{8}T\d{6}Z", out)
    assert "rm -rf build/results" not in out and "rm -rf" not in run_line
    tuned = "build/tuned/native/bin" if platform.machine() == "x86_64" else "build/native/bin"
    assert f"--native-bin {tuned}" in out


def test_clean_spares_the_yocto_build():
    """build/ is also kas' build directory: make clean removes only hdrnn's own parts."""
    r = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    assert "build/native" in words and "build/test-image" in words and ".venv" in words
    assert "build" not in words and "build/" not in words
    assert not any(w.startswith(("build/tmp", "build/sstate", "build/downloads",
                                 "build/conf")) for w in words)


def test_libtorch_asked_for_is_required(tmp_path):
    """HDRNN_WITH_LIBTORCH=ON without LibTorch fails at configure time, not in an image."""
    r = subprocess.run(["cmake", "-S", str(ROOT / "native"), "-B", str(tmp_path / "b"),
                        "-DHDRNN_WITH_LIBTORCH=ON", "-DHDRNN_WITH_EIGEN=OFF",
                        "-DCMAKE_PREFIX_PATH=/nonexistent"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0 and "Torch" in r.stderr
