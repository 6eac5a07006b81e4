#!/usr/bin/env python3
"""make bench-target: the emulated i.MX6Q (QEMU sabrelite, Cortex-A9) as a deterministic
benchmark machine. Boots the test image with -icount shift=0,sleep=off (1 guest
instruction = 1 ns of guest time) and QEMU's cache plugin with the i.MX6Q's caches
(tools/qemu-cache), sets the guest clock from the host, runs hdrnn-run's target preset
there with --cache-marks, copies the results back over the serial console (framed and
checksummed), merges the plugin's counts into the run records (hdrnn/cachesim.py),
runs the same preset on this host and renders both with hdrnn-report.

The implementations are spread over --boards emulated boards booted side by side (one
host core each; guest counts do not depend on the host), whose runs land in one session.

Usage: tools/bench_target.py --env tests/target/env/qemu-sabresd-icount.yaml \
           --plugin build/qemu-cache --host-bin build/native/bin --out build/bench-target
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from hdrnn import cachesim, console
from hdrnn.errors import DataError
from hdrnn.runner import presets
from hdrnn.store import ResultsDir

GUEST_DATA = "/usr/share/hdrnn/mnist-10k"
GUEST_OUT = "/tmp/bench-target"
# Guest instructions of the target preset (docs/performance.md): per-sample NumPy about
# 20 G with its baselines, NumPy 15 G, C and Eigen about 1 G together.
SPLIT = {1: [None], 2: [["numpy-sample", "c"], ["numpy", "eigen"]]}


def boot(env_file: Path, plugin: str | None = None):
    """(labgrid target, run(cmd, timeout) -> (lines, code)) of a logged-in shell."""
    from labgrid import Environment
    target = Environment(str(env_file)).get_target("main")
    if plugin:
        qemu = target.get_driver("QEMUDriver", activate=False)
        qemu.extra_args += f" -plugin {plugin}"
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


def board(env: Path, plugin: Path | None, work: Path, impls: list[str] | None, preset: str,
          timeout: float) -> dict:
    """One emulated board's session in work/session: {'dir', 'boot', 'marks', 'code'}."""
    marks = work / "marks.txt"
    args = f"{plugin / 'libhdrnn-cache.so'},{cachesim.plugin_args(marks)}" if plugin else None
    target, run = boot(env, args)
    try:
        qemu = qemu_command(target)
        out, code = run(f"date -u -s @{int(time.time())} >/dev/null")  # no 1970 names
        if code:
            raise DataError(f"could not set the guest clock: {out[-2:]}")
        boot_id = run("cat /proc/sys/kernel/random/boot_id")[0][-1].strip()
        cmd = (f"hdrnn-run --preset {preset} --data {GUEST_DATA} --out {GUEST_OUT} "
               f"--label emulated-a9 --quiet --emulated '{qemu}'"
               + (f" --impl {','.join(impls)}" if impls else "")
               + (" --cache-marks" if plugin else ""))
        run(f"rm -rf {GUEST_OUT}")
        out, code = run(cmd, timeout)
        files = console.fetch_dir(run, GUEST_OUT)
    finally:
        target.deactivate(target.get_driver("QEMUDriver"))
    session = work / "session"
    for name, data in files.items():
        path = session / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return {"dir": str(session), "boot": boot_id, "marks": str(marks), "code": code}


def merge_boards(results: list[dict], plugin: Path | None, target_dir: Path) -> list[str]:
    """The boards' sessions as one (the first's session.json, every board's runs), with
    the plugin's counts in each record; what could not be merged."""
    shutil.copytree(results[0]["dir"], target_dir)
    problems = []
    store, info = ResultsDir.open(target_dir)
    try:
        for other in results[1:]:
            more = json.loads((Path(other["dir"]) / "session.json").read_text())
            info["trainers"].update(more.get("trainers") or {})
            info["skipped"] = {k: v for k, v in (info.get("skipped") or {}).items()
                               if k not in info["trainers"]}
            for run in sorted((Path(other["dir"]) / "runs").glob("*.json")):
                shutil.copy2(run, store.runs_dir / run.name)
        info["boards"] = [{"boot": r["boot"]} for r in results]
        store.save_session(info)
        if plugin:
            settings = {**json.loads((plugin / "plugin.json").read_text()),
                        "args": list(cachesim.A9_ARGS)}
            for r in results:
                _, problem = cachesim.merge(store, info, Path(r["marks"]).read_text(),
                                            r["boot"], settings)
                problems += problem
    finally:
        store.unlock()
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--board", type=Path, help=argparse.SUPPRESS)  # one board, in this dir
    p.add_argument("--impl", help=argparse.SUPPRESS)
    p.add_argument("--env", type=Path, required=True, help="labgrid environment (icount)")
    p.add_argument("--plugin", type=Path, help="tools/qemu-cache's build directory")
    p.add_argument("--host-bin", type=Path, required=True, help="host native trainers")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--preset", default="target", choices=sorted(presets.PRESETS))
    p.add_argument("--boards", type=int, default=2, choices=sorted(SPLIT))
    p.add_argument("--timeout", type=float, default=1500, help="seconds for a guest run")
    a = p.parse_args()
    if a.board:  # one board, in a process of its own (labgrid keeps global state)
        impls = a.impl.split(",") if a.impl else None
        try:
            result = board(a.env, a.plugin, a.board, impls, a.preset, a.timeout)
        except Exception as e:
            result = {"error": f"{type(e).__name__}: {e}"}
        (a.board / "result.json").write_text(json.dumps(result))
        return 0
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target_dir, host_dir = a.out / f"target-{stamp}", a.out / f"host-{stamp}"
    work = a.out / f".boards-{stamp}"
    t0 = time.monotonic()
    procs = []
    for i, impls in enumerate(SPLIT[a.boards]):
        (work / str(i)).mkdir(parents=True)
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--board", str(work / str(i)), "--env", str(a.env),
             "--host-bin", str(a.host_bin), "--out", str(a.out), "--preset", a.preset,
             "--timeout", str(a.timeout)] + (["--plugin", str(a.plugin)] if a.plugin else [])
            + (["--impl", ",".join(impls)] if impls else [])))
    for proc in procs:
        proc.wait()
    results = []
    for i in range(len(procs)):
        f = work / str(i) / "result.json"
        results.append(json.loads(f.read_text()) if f.exists()
                       else {"error": f"board {i} ended without a result"})
    failed = [r["error"] for r in results if "error" in r]
    if failed:
        print(f"bench-target: {'; '.join(failed)}", file=sys.stderr)
        return 1
    print(f"bench-target: guest runs exit {[r['code'] for r in results]} after "
          f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
    for problem in merge_boards(results, a.plugin, target_dir):
        print(f"bench-target: no cache counts for {problem}", file=sys.stderr)
    shutil.rmtree(work)
    host = subprocess.run([sys.executable, "-m", "hdrnn.runner.cli", "--preset", a.preset,
                           "--native-bin", str(a.host_bin), "--label", "host",
                           "--out", str(host_dir), "--quiet"], env=dict(os.environ))
    report = a.out / f"report-{stamp}"
    r = subprocess.run([sys.executable, "-m", "hdrnn.report.cli", str(target_dir),
                        str(host_dir), "--out", str(report)])
    print(f"bench-target: {time.monotonic() - t0:.0f} s; results {target_dir} and {host_dir}; "
          f"report {report}/index.md", file=sys.stderr)
    return max(r["code"] for r in results) or host.returncode or r.returncode


if __name__ == "__main__":
    sys.exit(main())
