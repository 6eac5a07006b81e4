"""hdrnn-probe: the inventory of a host, and of an i.MX6Q board as a /proc and /sys
tree (tests/target checks the emulated board itself)."""

import gzip
import json
import os
import platform

from helpers import run

CPUINFO_A9 = "".join(
    f"processor\t: {n}\nmodel name\t: ARMv7 Processor rev 10 (v7l)\nBogoMIPS\t: 6.00\n"
    "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpd32\nCPU implementer\t: "
    "0x41\nCPU architecture: 7\nCPU variant\t: 0x2\nCPU part\t: 0xc09\nCPU revision\t: "
    "10\n\n" for n in range(4)) + "Hardware\t: Freescale i.MX6 Quad/DualLite (Device Tree)\n"


def _write(root, rel, text, mode="w"):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    (p.write_bytes if mode == "wb" else p.write_text)(text)


def test_the_host_inventory(tmp_path):
    out = tmp_path / "inv.json"
    r = run(["hdrnn-probe", "--out", str(out)])
    assert r.returncode == 0, r.stderr
    inv = json.loads(r.stdout)
    assert inv == json.loads(out.read_text())
    assert inv["schema"] == "hdrnn.probe" and inv["schema_version"] == 2
    assert inv["cpu"]["cores"] == os.cpu_count()
    assert inv["kernel"]["release"] == platform.release()
    meminfo = open("/proc/meminfo").read().split()
    assert inv["memory"]["total_kib"] == int(meminfo[meminfo.index("MemTotal:") + 1])
    assert inv["image"]["hdrnn"]
    pmus = "/sys/bus/event_source/devices"  # not mounted in a chroot
    assert inv["counters"]["pmus"] == (sorted(os.listdir(pmus)) if os.path.isdir(pmus)
                                       else [])
    assert inv["bootloader"]["cmdline"] == open("/proc/cmdline").read().strip()


def test_an_imx6q_board_tree(tmp_path):
    """A SABRE SD's /proc and /sys as the kernel shows them: one case per reader."""
    from hdrnn import probe
    root = tmp_path
    _write(root, "proc/cpuinfo", CPUINFO_A9)
    _write(root, "proc/meminfo", "MemTotal:        1023312 kB\nMemAvailable:     "
                                 "900000 kB\nSwapTotal:             0 kB\n")
    _write(root, "proc/sys/kernel/osrelease", "6.6.52-hdrnn\n")
    _write(root, "proc/device-tree/model", "Freescale i.MX6 Quad SABRE Smart Device Board\0")
    _write(root, "proc/device-tree/compatible", "fsl,imx6q-sabresd\0fsl,imx6q\0")
    for name, value in (("family", "Freescale i.MX"), ("soc_id", "i.MX6Q"),
                        ("revision", "1.2")):
        _write(root, f"sys/devices/soc0/{name}", value + "\n")
    for cpu in range(4):
        d = f"sys/devices/system/cpu/cpu{cpu}/cpufreq/"
        _write(root, d + "cpuinfo_max_freq", "996000\n")
        _write(root, d + "cpuinfo_min_freq", "396000\n")
        _write(root, d + "scaling_governor", "ondemand\n")
    _write(root, "proc/mtd", 'dev:    size   erasesize  name\nmtd0: 00200000 00010000 '
                             '"bootloader"\nmtd1: 00010000 00010000 "env"\n')
    _write(root, "sys/block/mmcblk2/size", "15269888\n")
    _write(root, "sys/block/mmcblk2/removable", "0\n")
    _write(root, "sys/block/mmcblk2/device/name", "SD16G\n")
    (root / "sys/block/mmcblk2/mmcblk2p1").mkdir()
    _write(root, "proc/mounts", "/dev/mmcblk2p2 / ext4 rw 0 0\n")
    _write(root, "proc/config.gz", gzip.compress(
        b"CONFIG_PERF_EVENTS=y\nCONFIG_HW_PERF_EVENTS=y\n# CONFIG_CACHE_L2X0_PMU is not "
        b"set\nCONFIG_HZ=100\n"), "wb")
    for pmu in ("armv7_cortex_a9", "software", "l2c_310/events/drreq",
                "l2c_310/events/drhit"):
        (root / "sys/bus/event_source/devices" / pmu).mkdir(parents=True)
    _write(root, "proc/sys/kernel/perf_event_paranoid", "-1\n")
    _write(root, "etc/os-release", 'PRETTY_NAME="hdrnn wrynose"\nVERSION_ID=6.0\n')
    inv = probe.inventory(root)
    c = inv["cpu"]
    assert (c["core"], c["cores"], c["revision"], c["variant"]) == ("Cortex-A9", 4, "10",
                                                                    "0x2")
    assert "neon" in c["features"] and c["hardware"].startswith("Freescale i.MX6")
    assert c["frequencies"][3] == {"cpu": 3, "min_khz": 396000, "max_khz": 996000,
                                   "cur_khz": None, "governor": "ondemand"}
    assert inv["soc"]["soc_id"] == "i.MX6Q" and inv["soc"]["revision"] == "1.2"
    assert inv["soc"]["compatible"] == ["fsl,imx6q-sabresd", "fsl,imx6q"]
    assert inv["memory"]["total_kib"] == 1023312
    assert inv["kernel"]["config"] == {"source": "proc/config.gz", "options": {
        "CONFIG_PERF_EVENTS": "y", "CONFIG_HW_PERF_EVENTS": "y", "CONFIG_CACHE_L2X0_PMU": "n",
        "CONFIG_HZ": "100"}}
    assert inv["storage"]["mtd"][1] == {"device": "mtd1", "size": 65536,
                                        "erasesize": 65536, "name": "env"}
    assert inv["storage"]["block"] == [{"device": "mmcblk2", "bytes": 15269888 * 512,
                                        "removable": False, "model": "SD16G",
                                        "partitions": ["mmcblk2p1"]}]
    assert inv["storage"]["mounts"]["/"] == {"source": "/dev/mmcblk2p2", "type": "ext4"}
    assert inv["counters"]["hardware"] == ["armv7_cortex_a9", "l2c_310"]
    assert inv["counters"]["l2c_310_events"] == ["drhit", "drreq"]
    assert inv["counters"]["perf_event_paranoid"] == -1
    assert inv["image"]["os"] == "hdrnn wrynose" and inv["bootloader"]["environment"] is None
