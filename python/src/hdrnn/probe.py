"""hdrnn-probe: the inventory of the machine it runs on, as JSON (schema hdrnn.probe):
what an unknown board is before anything is flashed or measured (the thesis' TODO
list): SoC and CPU (part, revision, cores, frequencies), memory, kernel and its
configuration where readable, image and hdrnn versions, storage (MTD partitions, block
devices), the bootloader's environment where fw_printenv reads it, and the performance
counters the kernel offers. Runs on a host and on a board; hdrnn-run keeps it in
session.json. Everything is read from /proc, /sys and /etc (under --root, for tests);
what cannot be read is null, with the reason where one is known: a probe never fails
for a missing file."""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from . import __version__, schema
from .cliutil import add_version, OneLineParser, run_main
from .files import write_json

PROG = "hdrnn-probe"
# ARM's main ID register part numbers (/proc/cpuinfo "CPU part") of the cores hdrnn
# meets; others are shown as their number.
ARM_PARTS = {"0xc07": "Cortex-A7", "0xc08": "Cortex-A8", "0xc09": "Cortex-A9",
             "0xc0f": "Cortex-A15", "0xd03": "Cortex-A53", "0xd04": "Cortex-A35",
             "0xd05": "Cortex-A55", "0xd07": "Cortex-A57", "0xd08": "Cortex-A72",
             "0xd0b": "Cortex-A76"}
# Kernel options that decide what hdrnn can measure on a board.
KERNEL_OPTIONS = ("CONFIG_PERF_EVENTS", "CONFIG_HW_PERF_EVENTS", "CONFIG_CACHE_L2X0",
                  "CONFIG_CACHE_L2X0_PMU", "CONFIG_ARM_PMU", "CONFIG_CPU_FREQ",
                  "CONFIG_PREEMPT", "CONFIG_PREEMPT_RT", "CONFIG_HZ", "CONFIG_SMP",
                  "CONFIG_NEON", "CONFIG_VFP", "CONFIG_MTD", "CONFIG_IKCONFIG_PROC")


def _text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _first_line(path: Path) -> str | None:
    text = _text(path)
    return text.strip().split("\n")[0].strip("\0 ") if text else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def cpu(root: Path) -> dict:
    """/proc/cpuinfo's blocks (one a core) and cpufreq of each core."""
    text = _text(root / "proc/cpuinfo") or ""
    cores, common = [], {}
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if "processor" in fields and fields["processor"].isdigit():
            cores.append(fields)
        else:
            common.update(fields)  # ARM kernels put Hardware/Revision in a last block
    first = cores[0] if cores else {}
    part = first.get("CPU part")
    freqs = []
    for c in cores:
        d = root / f"sys/devices/system/cpu/cpu{c['processor']}/cpufreq"
        freqs.append({"cpu": int(c["processor"]),
                      "min_khz": _int(_first_line(d / "cpuinfo_min_freq")),
                      "max_khz": _int(_first_line(d / "cpuinfo_max_freq")),
                      "cur_khz": _int(_first_line(d / "scaling_cur_freq")),
                      "governor": _first_line(d / "scaling_governor")})
    return {
        "model": first.get("model name") or first.get("Processor")
        or common.get("Processor"),
        "implementer": first.get("CPU implementer"), "part": part,
        "core": ARM_PARTS.get(part or "", part),
        "variant": first.get("CPU variant"), "revision": first.get("CPU revision"),
        "architecture": first.get("CPU architecture"),
        "features": (first.get("Features") or first.get("flags") or "").split() or None,
        "bogomips": first.get("BogoMIPS") or first.get("bogomips"),
        "cores": len(cores) or None,
        "hardware": common.get("Hardware") or first.get("Hardware"),
        "frequencies": freqs,
    }


def soc(root: Path) -> dict:
    """The SoC as the kernel's soc bus and the device tree name it (i.MX6Q: family
    "Freescale i.MX", soc_id "i.MX6Q", revision)."""
    s = root / "sys/devices/soc0"
    dt = root / "proc/device-tree"
    compatible = _text(dt / "compatible")
    return {"family": _first_line(s / "family"), "soc_id": _first_line(s / "soc_id"),
            "revision": _first_line(s / "revision"), "machine": _first_line(s / "machine"),
            "model": _first_line(dt / "model"),
            "compatible": [c for c in compatible.split("\0") if c] if compatible else None}


def memory(root: Path) -> dict:
    info = {}
    for line in (_text(root / "proc/meminfo") or "").splitlines():
        key, _, value = line.partition(":")
        if key in ("MemTotal", "MemAvailable", "SwapTotal", "CmaTotal"):
            info[key] = _int(value.split()[0]) if value.split() else None
    return {"total_kib": info.get("MemTotal"), "available_kib": info.get("MemAvailable"),
            "swap_kib": info.get("SwapTotal"), "cma_kib": info.get("CmaTotal")}


def kernel_config(root: Path, release: str) -> dict:
    """The options that matter here, from /proc/config.gz or /boot/config-RELEASE."""
    sources = (root / "proc/config.gz", root / f"boot/config-{release}")
    for path in sources:
        try:
            raw = path.read_bytes()
            text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode(
                errors="replace")
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        values = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in KERNEL_OPTIONS:
                values[key] = value
            elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
                key = line[2:].split()[0]
                if key in KERNEL_OPTIONS:
                    values[key] = "n"
        return {"source": str(path.relative_to(root)), "options": values}
    return {"source": None, "options": None,
            "reason": "no /proc/config.gz (CONFIG_IKCONFIG_PROC) nor /boot/config-"
                      f"{release}"}


def storage(root: Path) -> dict:
    mtd = []
    for line in (_text(root / "proc/mtd") or "").splitlines()[1:]:
        parts = line.split(maxsplit=3)
        if len(parts) == 4:
            mtd.append({"device": parts[0].rstrip(":"), "size": int(parts[1], 16),
                        "erasesize": int(parts[2], 16), "name": parts[3].strip('"')})
    blocks = []
    sys_block = root / "sys/block"
    for d in sorted(sys_block.iterdir()) if sys_block.is_dir() else ():
        if d.name.startswith(("loop", "ram", "zram")):
            continue
        sectors = _int(_first_line(d / "size"))
        blocks.append({"device": d.name,
                       "bytes": sectors * 512 if sectors is not None else None,
                       "removable": _first_line(d / "removable") == "1",
                       "model": _first_line(d / "device/model")
                       or _first_line(d / "device/name"),
                       "partitions": sorted(p.name for p in d.glob(f"{d.name}*"))})
    mounts = {}
    for line in (_text(root / "proc/mounts") or "").splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in ("/", "/boot", "/home", "/tmp"):
            mounts[f[1]] = {"source": f[0], "type": f[2]}
    return {"mtd": mtd, "block": blocks, "mounts": mounts}


def bootloader(root: Path) -> dict:
    """U-Boot's environment through fw_printenv (libubootenv/u-boot-fw-utils), where
    it is installed and /etc/fw_env.config says where the environment lives."""
    cmdline = _first_line(root / "proc/cmdline")
    exe = shutil.which("fw_printenv")
    if root != Path("/") or not exe:
        return {"cmdline": cmdline, "environment": None,
                "reason": "fw_printenv is not installed" if not exe else "not read under "
                          "--root"}
    try:
        r = subprocess.run([exe], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"cmdline": cmdline, "environment": None, "reason": f"fw_printenv: {e}"}
    if r.returncode != 0:
        return {"cmdline": cmdline, "environment": None,
                "reason": (r.stderr.strip().splitlines() or ["fw_printenv failed"])[-1]}
    env = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    return {"cmdline": cmdline, "environment": env}


def counters(root: Path) -> dict:
    """The PMUs the kernel registered (cpu or armv7_cortex_a9, l2c_310 for the i.MX6's
    PL310 L2 cache, ...), whether perf may use them, and whether perf is installed."""
    base = root / "sys/bus/event_source/devices"
    pmus = sorted(p.name for p in base.iterdir()) if base.is_dir() else []
    l2 = base / "l2c_310/events"
    return {"pmus": pmus,
            "hardware": [p for p in pmus if p not in ("software", "tracepoint",
                                                      "kprobe", "uprobe", "breakpoint")],
            "l2c_310_events": sorted(p.name for p in l2.iterdir()) if l2.is_dir() else [],
            "perf_event_paranoid": _int(_first_line(root /
                                                    "proc/sys/kernel/perf_event_paranoid")),
            "perf": shutil.which("perf") if root == Path("/") else None}


def image(root: Path) -> dict:
    release = {}
    for line in (_text(root / "etc/os-release") or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            release[key] = value.strip().strip('"')
    return {"os": release.get("PRETTY_NAME") or release.get("NAME"),
            "os_version": release.get("VERSION_ID"),
            "build": _text(root / "etc/build"),  # Yocto's image-buildinfo
            "hostname": _first_line(root / "etc/hostname"), "hdrnn": __version__}


def inventory(root: Path = Path("/")) -> dict:
    """The machine's inventory (schema hdrnn.probe)."""
    u = platform.uname()
    release = u.release if root == Path("/") else \
        (_first_line(root / "proc/sys/kernel/osrelease") or "")
    return schema.stamp("probe", {
        "cpu": cpu(root), "soc": soc(root), "memory": memory(root),
        "kernel": {"release": release,
                   "version": _first_line(root / "proc/sys/kernel/version"),
                   "machine": u.machine if root == Path("/") else None,
                   "config": kernel_config(root, release)},
        "image": image(root), "storage": storage(root), "bootloader": bootloader(root),
        "counters": counters(root)})


def _main(argv: list[str] | None) -> int:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    add_version(p)
    p.add_argument("--out", type=Path, help="write the JSON here (atomically) too")
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    inv = inventory(a.root)
    if a.out:
        write_json(a.out, inv)
    sys.stdout.write(json.dumps(inv, indent=1, sort_keys=True) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
