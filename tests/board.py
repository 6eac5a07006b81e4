"""The emulated board for tests that drive it themselves (not through labgrid): QEMU's
sabrelite (i.MX6Q, Cortex-A9) booting the CI test image (make test-image) with its
console on a pty, as a USB serial adapter presents a real board's."""

from __future__ import annotations

import os
import re
import select
import subprocess

import pexpect.fdpexpect
import pytest

from helpers import ROOT, missing

IMAGE = ROOT / "build" / "test-image"
PROMPT = r"root@hdrnn-sabresd:[^ ]*# "


def need_image() -> None:
    """Skip without the test image (fail under HDRNN_REQUIRE_ALL, as make test sets)."""
    if not (IMAGE / "initramfs.cpio").exists():
        missing("no test image (make test-image)")


def start(*extra: str) -> tuple[subprocess.Popen, str]:
    """(QEMU, its console's pty) of the test image booting; extra QEMU arguments (a
    drive). The caller kills QEMU."""
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "sabrelite", "-cpu", "cortex-a9", "-m", "1024M", "-smp", "1",
         "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "pty",
         "-kernel", str(IMAGE / "vmlinuz"), "-dtb", str(IMAGE / "imx6q-sabresd.dtb"),
         "-initrd", str(IMAGE / "initramfs.cpio"), *extra,
         "-append", "console=ttymxc0,115200 loglevel=3 rdinit=/init"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # QEMU names the pty it made on stdout (7.x) or stderr (newer): wait for it, not
    # forever
    out = b""
    while b"\n" not in out:
        ready, _, _ = select.select([qemu.stdout], [], [], 30)
        chunk = os.read(qemu.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            qemu.kill()
            qemu.wait()
            pytest.fail(f"QEMU did not name its serial pty: {out!r}")
        out += chunk
    m = re.search(rb"(/dev/pts/\d+)", out)
    if not m:
        qemu.kill()
        qemu.wait()
        pytest.fail(f"no pty in QEMU's output: {out!r}")
    return qemu, m.group(1).decode()


def console(pty: str, timeout: float = 180) -> pexpect.fdpexpect.fdspawn:
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    return pexpect.fdpexpect.fdspawn(fd, timeout=timeout, encoding="utf-8")
