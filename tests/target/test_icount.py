"""The emulated Cortex-A9 under QEMU -icount shift=0,sleep=off is deterministic: two
identical runs take the same guest time (instructions), and a session run there records
the emulation. Boots its own QEMU (tests/target/env/qemu-sabresd-icount.yaml)."""

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
from helpers import REQUIRE_ALL  # noqa: E402

ENV = ROOT / "tests" / "target" / "env" / "qemu-sabresd-icount.yaml"
IMAGE = ROOT / "build" / "test-image" / "initramfs.cpio.gz"
DATA = "/usr/share/hdrnn/mnist-10k"


@pytest.fixture(scope="module")
def icount_board():
    if not IMAGE.is_file():
        msg = f"{IMAGE} not built (make test-image)"
        if REQUIRE_ALL:
            pytest.fail(msg)
        pytest.skip(msg)
    pytest.importorskip("labgrid")
    import bench_target
    from hdrnn import console
    target, run = bench_target.boot(ENV)
    qemu = bench_target.qemu_command(target)
    yield run, qemu, console
    target.deactivate(target.get_driver("QEMUDriver"))


def test_icount_is_deterministic_and_recorded(icount_board):
    run, qemu, console = icount_board
    assert "-icount shift=0,sleep=off" in qemu
    out, code = run(f"date -u -s @{int(time.time())} >/dev/null")
    assert code == 0, out
    train = []
    for _ in range(2):
        out, code = run(f"hdrnn-c --data {DATA} --hidden 30 --epochs 1 --train-limit 2000 "
                        "--test-limit 100", 300)
        assert code == 0, out[-3:]
        train.append(json.loads(out[-2])["train_s"])
    assert abs(train[0] - train[1]) <= 0.001 * train[0], train
    run("rm -rf /tmp/emu && mkdir /tmp/emu")
    out, code = run(f"cd /tmp/emu && hdrnn-run --impl c --hidden 8 --epochs 1 --reps 1 "
                    f"--train-limit 200 --test-limit 100 --no-check --quiet --data {DATA} "
                    f"--emulated '{qemu}'", 600)
    assert code == 0, out[-5:]
    files = console.fetch_dir(run, "/tmp/emu")
    names = {n.split("/")[1] for n in files if n.startswith("results/")}
    year = datetime.now(timezone.utc).strftime("%Y")
    assert len(names) == 1 and names.pop().startswith(year)  # the clock came from the host
    session = json.loads(next(v for k, v in files.items() if k.endswith("session.json")))
    emu = session["emulated"]
    assert emu["instructions"] and emu["icount"] == "shift=0,sleep=off"
    assert emu["description"] == "emulated Cortex-A9, 1 instruction = 1 ns"
    assert session["machine"]["machine"] == "armv7l"
