"""The emulated Cortex-A9 under QEMU -icount shift=0,sleep=off and the cache plugin
(tools/qemu-cache) is deterministic: two identical runs take the same guest time
(instructions) and, within cachesim's stated tolerance, the same cache counts; a
session run there records the emulation and, merged on the host, the plugin's settings.
Boots its own QEMU (tests/target/env/qemu-sabresd-icount.yaml, with the plugin: the
one boot make bench-target uses)."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from helpers import missing  # noqa: E402

ENV = ROOT / "tests" / "target" / "env" / "qemu-sabresd-icount.yaml"
IMAGE = ROOT / "build" / "test-image" / "initramfs.cpio"
PLUGIN = ROOT / "build" / "qemu-cache"
DATA = "/usr/share/hdrnn/mnist-10k"


@pytest.fixture(scope="module")
def icount_board(tmp_path_factory):
    for need, how in ((IMAGE, "make test-image"),
                      (PLUGIN / "libhdrnn-cache.so", "make qemu-cache")):
        if not need.is_file():
            missing(f"{need} not built ({how})")
    pytest.importorskip("labgrid")
    import bench_target
    from hdrnn import cachesim
    marks = tmp_path_factory.mktemp("plugin") / "marks.txt"
    target, run = bench_target.boot(
        ENV, f"{PLUGIN / 'libhdrnn-cache.so'},{cachesim.plugin_args(marks)}")
    qemu = bench_target.qemu_command(target)
    yield run, qemu, marks
    target.deactivate(target.get_driver("QEMUDriver"))


def test_counts_repeat_and_are_recorded(icount_board, tmp_path):
    """Two identical runs (one seed) of hdrnn-run --cache-marks on the emulated board:
    the same guest time within 0.5 % (-icount shift=0), the same cache counts per
    training sample within cachesim's tolerance; the session records the emulation
    (the clock from the host, icount) and, merged on the host, the plugin, its source
    and the A9's geometry. One session: hdrnn-run's start-up alone is a minute under
    the plugin."""
    from hdrnn import cachesim, console
    from hdrnn.report import a9model
    from hdrnn.store import ResultsDir
    run, qemu, marks = icount_board
    assert "-icount shift=0,sleep=off" in qemu and "libhdrnn-cache.so" in qemu
    out, code = run(f"date -u -s @{int(time.time())} >/dev/null")
    assert code == 0, out
    run("rm -rf /tmp/emu && mkdir /tmp/emu")
    out, code = run(f"cd /tmp/emu && hdrnn-run --impl c --hidden 32 --epochs 1 --reps 2 "
                    f"--same-seed --train-limit 2000 --test-limit 100 --no-check --quiet "
                    f"--data {DATA} --cache-marks --emulated '{qemu}'", 900)
    assert code == 0, out[-5:]
    boot = run("cat /proc/sys/kernel/random/boot_id")[0][-1].strip()
    files = console.fetch_dir(run, "/tmp/emu")
    names = {n.split("/")[1] for n in files if n.startswith("results/")}
    year = datetime.now(timezone.utc).strftime("%Y")
    assert len(names) == 1 and names.pop().startswith(year)  # the clock came from the host
    for name, data in files.items():
        path = tmp_path.joinpath(*Path(name).parts[2:])  # below results/<stamp>/
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    session = json.loads((tmp_path / "session.json").read_text())
    emu = session["emulated"]
    assert emu["instructions"] and emu["icount"] == "shift=0,sleep=off"
    assert emu["description"] == "emulated Cortex-A9, 1 instruction = 1 ns"
    assert session["machine"]["machine"] == "armv7l"
    store, info = ResultsDir.open(tmp_path)
    settings = {"plugin": "libhdrnn-cache.so", "args": list(cachesim.A9_ARGS)}
    merged, problems = cachesim.merge(store, info, marks.read_text(), boot, settings)
    store.unlock()
    assert (merged, problems) == (2, [])
    assert json.loads((tmp_path / "session.json").read_text())["cache_sim"] == settings
    first, second = (json.loads(p.read_text())
                     for p in sorted((tmp_path / "runs").glob("*.json")))
    assert abs(first["train_s"] - second["train_s"]) <= 0.005 * first["train_s"]
    a, b = first["cache_per_sample"], second["cache_per_sample"]
    assert cachesim.agree(a, b) == [], (a, b)
    # a training sample of hdrnn-c at 784-32-10 (docs/performance.md): ~30k instructions
    assert 20_000 < a["instructions"] < 40_000 and a["l1d_misses"] > 0
    assert a9model.cycles(a)["cycles"] > a["instructions"] / 2
