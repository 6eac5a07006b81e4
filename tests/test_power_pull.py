"""Power-loss-safe checkpoints on the emulated board: hdrnn-c trains with checkpoints
on an ext4 file system on the emulated SD card (QEMU's sabrelite, -device sd-card), the
power is pulled mid-epoch (QEMU killed: whatever the guest had not written back is
lost), the board boots again (ext4 replays its journal), the run resumes from its
checkpoint, and its final weights are bitwise those of an uninterrupted run on the same
board. Needs the CI test image (make test-image) and mke2fs."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import time

import pytest

import board
from board import PROMPT

DATA = "/usr/share/hdrnn/mnist-10k"
SD_CARD = "sd-card,drive=card"
# 3 epochs of 4,000 samples: 400 batches an epoch, a checkpoint every 20
TRAIN = (f"hdrnn-c --data {DATA} --hidden 30 --epochs 3 --train-limit 4000 "
         "--test-limit 500 --quiet")


def _boot(disk):
    """(qemu, console) of the test image booted with disk as its SD card, logged in."""
    qemu, pty = board.start("-drive", f"if=none,id=card,format=raw,file={disk}",
                            "-device", SD_CARD)
    con = board.console(pty, timeout=300)
    con.send("\n")
    con.expect("login: ")
    con.send("root\n")
    con.expect(PROMPT)
    return qemu, con


def _sh(con, cmd, timeout=300) -> str:
    """cmd's output; fails unless it exits 0."""
    con.send(f"{cmd}; echo __rc=$?\n")
    con.expect(r"__rc=(\d+)", timeout=timeout)
    out, rc = con.before, con.match.group(1)
    con.expect(PROMPT)
    assert rc == "0", f"{cmd}: exit {rc}: {out[-500:]}"
    return out


def _pull_power(qemu, con) -> None:
    qemu.kill()  # SIGKILL: no shutdown, no sync; the guest's dirty pages are gone
    qemu.wait()
    con.close()


def _mount(con) -> None:
    # the SD card shows up as an mmcblk device once the host controller probed it
    _sh(con, "for i in $(seq 50); do b=$(ls /dev/mmcblk? 2>/dev/null | head -1); "
             "[ -n \"$b\" ] && break; sleep 0.2; done; mkdir -p /mnt/sd && "
             "mount -t ext4 $b /mnt/sd")


@pytest.fixture
def sd_card(tmp_path):
    board.need_image()
    mkfs = shutil.which("mkfs.ext4") or "/sbin/mkfs.ext4"
    disk = tmp_path / "sd.img"
    with open(disk, "wb") as f:
        f.truncate(64 << 20)  # a power of two: QEMU's SD card model wants one
    subprocess.run([mkfs, "-q", "-F", "-L", "hdrnn", str(disk)], check=True)
    return disk


def test_power_pull_mid_epoch_then_resume_is_bitwise(sd_card):
    qemu, con = _boot(sd_card)
    try:
        _mount(con)
        # train in the background, checkpointing to the SD card; pull the power once
        # the second epoch is under way
        con.send(f"{TRAIN} --checkpoint /mnt/sd/ck.st --checkpoint-every 20 "
                 "--weights-out /mnt/sd/w.st > /tmp/train.log 2>&1 &\n")
        con.expect(PROMPT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            out = _sh(con, "grep -c '\"epoch\":' /tmp/train.log || true")
            if re.search(r"^\s*[1-9]", out.split("\n", 1)[-1], re.M):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the training never finished an epoch")
        time.sleep(random.uniform(0.0, 1.0))  # somewhere in epoch 2
        _pull_power(qemu, con)
    finally:
        qemu.kill()
        qemu.wait()

    qemu, con = _boot(sd_card)
    try:
        _mount(con)  # ext4 replays its journal here
        assert "ck.st" in _sh(con, "ls /mnt/sd")
        out = _sh(con, f"{TRAIN} --resume-from /mnt/sd/ck.st --checkpoint /mnt/sd/ck.st "
                       "--checkpoint-every 20 --weights-out /mnt/sd/w.st", timeout=900)
        epochs = re.findall(r'"epoch":(\d+)', out)
        assert epochs and int(epochs[0]) >= 2, out[-500:]  # it went on, not over
        # no temporary of the killed run is left on the card
        assert ".tmp" not in _sh(con, "ls -a /mnt/sd")
        # the same run without interruption, on the same board
        _sh(con, f"{TRAIN} --weights-out /tmp/ref.st", timeout=900)
        sums = _sh(con, "sha256sum /mnt/sd/w.st /tmp/ref.st")
        digests = re.findall(r"([0-9a-f]{64})\s+(\S+)", sums)
        assert len(digests) == 2 and digests[0][0] == digests[1][0], sums
        _sh(con, "umount /mnt/sd")
    finally:
        qemu.kill()
        qemu.wait()
