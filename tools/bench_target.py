#!/usr/bin/env python3
"""make bench-target: the emulated i.MX6Q (QEMU sabrelite, Cortex-A9) as a deterministic
benchmark machine. Boots the test image with -icount shift=0,sleep=off (1 guest
instruction = 1 ns of guest time), sets the guest clock from the host, runs hdrnn-run's
target preset there, copies the results back over the serial console (framed and
checksummed), runs the same preset on this host and renders both with hdrnn-report.

Usage: tools/bench_target.py --env tests/target/env/qemu-sabresd-icount.yaml \
           --host-bin build/native/bin --out build/bench-target
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from hdrnn import console
from hdrnn.errors import DataError

GUEST_DATA = "/usr/share/hdrnn/mnist-10k"
GUEST_OUT = "/tmp/bench-target"


def boot(env_file: Path):
    """(labgrid target, run(cmd, timeout) -> (lines, code)) of a logged-in shell."""
    from labgrid import Environment
    target = Environment(str(env_file)).get_target("main")
    target.get_driver("ShellStrategy").transition("shell")
    shell = target.get_driver("CommandProtocol")

    def run(cmd: str, timeout: float = 120) -> tuple[list[str], int]:
        out, _err, code = shell.run(cmd, timeout=timeout)
        return out, code
    return target, run


def qemu_command(target) -> str:
    """The QEMU command line labgrid started (read from /proc), for session.json."""
    qemu = target.get_driver("QEMUDriver")
    pid = qemu._child.pid  # labgrid keeps the Popen of QEMU here
    return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ").decode()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", type=Path, required=True, help="labgrid environment (icount)")
    p.add_argument("--host-bin", type=Path, required=True, help="host native trainers")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--preset", default="target")
    p.add_argument("--timeout", type=float, default=1500, help="seconds for the guest run")
    a = p.parse_args()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target_dir = a.out / f"target-{stamp}"
    host_dir = a.out / f"host-{stamp}"
    t0 = time.monotonic()
    target, run = boot(a.env)
    try:
        qemu = qemu_command(target)
        out, code = run(f"date -u -s @{int(time.time())} >/dev/null")  # no 1970 names
        if code:
            raise DataError(f"could not set the guest clock: {out[-2:]}")
        cmd = (f"hdrnn-run --preset {a.preset} --data {GUEST_DATA} --out {GUEST_OUT} "
               f"--label emulated-a9 --quiet --emulated '{qemu}'")
        run(f"rm -rf {GUEST_OUT}")
        out, code = run(cmd, a.timeout)
        print(f"bench-target: guest run exit {code} after {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        files = console.fetch_dir(run, GUEST_OUT)
    finally:
        target.deactivate(target.get_driver("QEMUDriver"))
    for name, data in files.items():
        path = target_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    host = subprocess.run([sys.executable, "-m", "hdrnn.runner.cli", "--preset", a.preset,
                           "--native-bin", str(a.host_bin), "--label", "host",
                           "--out", str(host_dir), "--quiet"],
                          env=dict(os.environ))
    report = a.out / f"report-{stamp}"
    r = subprocess.run([sys.executable, "-m", "hdrnn.report.cli", str(target_dir),
                        str(host_dir), "--out", str(report)])
    print(f"bench-target: {time.monotonic() - t0:.0f} s; results {target_dir} and {host_dir}; "
          f"report {report}/index.md", file=sys.stderr)
    return code or host.returncode or r.returncode


if __name__ == "__main__":
    sys.exit(main())
