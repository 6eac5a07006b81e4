"""make flash refuses anything but a whole, removable, unmounted card."""

import subprocess

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
    assert any(w in r.stderr for w in ("not removable", "mounted", "partition")), r.stderr
