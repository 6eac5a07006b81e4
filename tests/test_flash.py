"""make flash refuses anything but a whole, removable, unmounted card."""

import os
import signal
import subprocess
import time

import pytest

from helpers import ROOT

FLASH = str(ROOT / "tools" / "flash.sh")


def _flash(dev: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", FLASH, dev, "/nonexistent-deploy"], capture_output=True,
                          text=True, timeout=30)


def test_refuses_a_non_block_device(tmp_path):
    f = tmp_path / "card.img"
    f.write_bytes(b"\0" * 4096)
    r = _flash(str(f))
    assert r.returncode != 0 and "not a block device" in r.stderr


def test_refuses_the_disk_holding_the_root_file_system():
    src = subprocess.run(["findmnt", "-no", "SOURCE", "/"], capture_output=True,
                         text=True).stdout.strip()
    if not src.startswith("/dev/"):
        pytest.skip(f"/ is not on a block device here ({src or 'unknown'})")
    r = _flash(src)
    assert r.returncode != 0
    assert any(w in r.stderr for w in ("not removable", "mounted", "partition",
                                       "root file system")), r.stderr


# Real decisions on real block devices: loop devices over files in tmp_path (root only).

def _losetup(path):
    r = subprocess.run(["losetup", "--find", "--show", str(path)], capture_output=True,
                       text=True)
    if r.returncode != 0:
        pytest.skip(f"no loop devices here: {r.stderr.strip()[:80]}")
    return r.stdout.strip()


@pytest.fixture
def loop(tmp_path):
    backing = tmp_path / "card.img"
    backing.write_bytes(b"\0" * (8 << 20))
    dev = _losetup(backing)
    yield dev, backing
    for _ in range(50):  # a mount namespace that held it may take a moment to go
        if subprocess.run(["losetup", "-d", dev], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)


@pytest.fixture
def image(tmp_path):
    """A real (small) image with its bmap, as kas would deploy it."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    raw = tmp_path / "img.wic"
    raw.write_bytes(b"HDRNN-IMAGE" + b"\0" * (1 << 20) + b"END")
    base = deploy / "hdrnn-image-imx6qdlsabresd.rootfs"
    subprocess.run(["bmaptool", "create", "-o", f"{base}.wic.bmap", str(raw)], check=True,
                   capture_output=True)
    subprocess.run(f"gzip -c {raw} > {base}.wic.gz", shell=True, check=True)
    return deploy


def _run(args, stdin="", path=None):
    env = None if path is None else {"PATH": path}
    return subprocess.run(["/bin/sh", FLASH, *args], capture_output=True, text=True,
                          timeout=60, input=stdin, env=env)


def test_a_loop_device_needs_allow_loop(loop, image):
    dev, _ = loop
    r = _run([dev, str(image)])
    assert r.returncode == 1 and "loop device" in r.stderr


def test_writes_only_after_yes(loop, image):
    dev, backing = loop
    r = _run(["--allow-loop", dev, str(image)], stdin="no\n")
    assert r.returncode == 1 and "not confirmed" in r.stderr and "8M" in r.stderr
    assert backing.read_bytes()[:11] == b"\0" * 11
    r = _run(["--allow-loop", dev, str(image)], stdin="yes\n")
    assert r.returncode == 0, r.stderr
    subprocess.run(["sync"])
    assert backing.read_bytes()[:11] == b"HDRNN-IMAGE"


def test_refuses_a_mounted_device(loop, image, tmp_path):
    dev, _ = loop
    subprocess.run(["mke2fs", "-q", "-F", dev], check=True, capture_output=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", dev, str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount here")
    try:
        r = _run(["--allow-loop", "--yes", dev, str(image)])
        assert r.returncode == 1 and ("mounted" in r.stderr or "in use" in r.stderr)
    finally:
        subprocess.run(["umount", str(mnt)])


def test_refuses_a_device_mounted_in_another_namespace(loop, image, tmp_path):
    """lsblk sees only this namespace's mounts; the exclusive open sees all of them."""
    dev, _ = loop
    subprocess.run(["mke2fs", "-q", "-F", dev], check=True, capture_output=True)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    holder = subprocess.Popen(["unshare", "-m", "sh", "-c",
                               f"mount {dev} {mnt} && echo up && sleep 30"],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        if holder.stdout.readline().strip() != "up":
            pytest.skip("cannot mount in a new namespace here")
        r = _run(["--allow-loop", "--yes", dev, str(image)])
        assert r.returncode == 1 and "in use" in r.stderr, r.stderr
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # the sleep too: it holds the namespace
        holder.wait()


def test_fails_closed_without_lsblk(loop, image, tmp_path):
    dev, backing = loop
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("readlink", "basename", "cat", "grep", "tr", "head", "findmnt", "python3",
                 "bmaptool", "sync", "gzip"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                               text=True).stdout.strip()
        if found:
            (bin_dir / tool).symlink_to(found)
    r = _run(["--allow-loop", "--yes", dev, str(image)], path=str(bin_dir))
    assert r.returncode == 1 and "lsblk not found" in r.stderr
    assert backing.read_bytes()[:11] == b"\0" * 11
