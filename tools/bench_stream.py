#!/usr/bin/env python3
"""--data-mode stream against memory (make bench-stream; docs/performance.md).

hdrnn-c and hdrnn-eigen on Fashion-MNIST (60,000 + 10,000 images), each mode a separate
process measured by hdrnn-run's wait4 code (peak RSS) with the trainer's own clock
(train_s, the epoch's training only), the two modes interleaved --reps times so that a
drift of this machine falls on both. Per trainer and network: the medians, the RSS
target (stream <= 8 MiB) and the time target (stream / memory <= 1.3, the median of the
per-round ratios). Writes JSON; a Markdown table on stdout. Exit 0 whatever the figures
(targets are reported, not asserted: this is a benchmark, not a test).

--emulated ENV does the same on the emulated i.MX6Q (QEMU sabrelite, Cortex-A9) booted
with -icount shift=0 (1 instruction = 1 ns, deterministic: one repetition), on the data
its test image carries (mnist-10k, 8,000 + 2,000 images): hdrnn-run with --data-mode
both in the guest, its records copied back over the serial console."""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from hdrnn import datasets
from hdrnn.files import write_json
from hdrnn.runner import machine, measure

RSS_TARGET_MIB = 8.0
TIME_TARGET = 1.3


def one(cmd: list[str]) -> dict:
    m = measure.run(cmd, timeout=3600)
    epochs = [e for e in m.events if e.get("event") == "epoch"]
    if m.exit_code != 0 or not epochs:
        raise SystemExit(f"{cmd[0]}: exit {m.exit_code}: {m.stderr_tail[-300:]}")
    return {"train_s": sum(e["train_s"] for e in epochs), "max_rss_mib": m.max_rss_kib / 1024,
            "wall_s": m.wall_s, "accuracy": epochs[-1]["accuracy"]}


GUEST_DATA = "/usr/share/hdrnn/mnist-10k"
GUEST_OUT = "/tmp/bench-stream"


def emulated(env: Path, hidden: list[str], epochs: int, impl: str) -> list[dict]:
    """Rows of the emulated board, one run per mode (icount: exact, no noise)."""
    import json
    from bench_target import boot
    from hdrnn import console
    target, run = boot(env)
    try:
        run(f"rm -rf {GUEST_OUT}")
        hid = " ".join(f"--hidden {h}" for h in hidden)
        out, code = run(f"hdrnn-run --data {GUEST_DATA} --impl {impl} --data-mode both {hid} "
                        f"--epochs {epochs} --reps 1 --no-check --quiet --out {GUEST_OUT}",
                        3600)
        if code:
            raise SystemExit(f"guest hdrnn-run: exit {code}: {out[-3:]}")
        files = console.fetch_dir(run, GUEST_OUT)
    finally:
        target.deactivate(target.get_driver("QEMUDriver"))
    recs = {}
    for name, data in files.items():
        if name.startswith("runs/") and name.endswith(".json"):
            r = json.loads(data)
            recs[r["impl"], ",".join(map(str, r["hidden"]))] = r
    rows = []
    for name in impl.split(","):
        for h in hidden:
            mem, st = recs[name, h], recs[name + "-stream", h]
            one_ = {m: {"train_s": r["train_s"], "max_rss_mib": r["max_rss_kib"] / 1024,
                        "wall_s": r["wall_s"], "accuracy": r["final_accuracy"]}
                    for m, r in (("memory", mem), ("stream", st))}
            rows.append(_row(name, h, epochs, 1, {m: [v] for m, v in one_.items()}))
    return rows


def _row(impl: str, hidden: str, epochs: int, reps: int, runs: dict) -> dict:
    med = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for mode, rs in runs.items()}
    ratio = statistics.median(s["train_s"] / m["train_s"]
                              for m, s in zip(runs["memory"], runs["stream"]))
    return {"impl": impl, "hidden": hidden, "epochs": epochs, "reps": reps, "runs": runs,
            "median": med, "time_ratio": ratio,
            "rss_saved_mib": med["memory"]["max_rss_mib"] - med["stream"]["max_rss_mib"],
            "rss_target_met": med["stream"]["max_rss_mib"] <= RSS_TARGET_MIB,
            "time_target_met": ratio <= TIME_TARGET}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", type=Path, required=True, help="the trainers' directory")
    p.add_argument("--data", type=Path, help="default: hdrnn-data path fashion-mnist")
    p.add_argument("--hidden", action="append", help="default: 30 and 128")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--impl", default="c,eigen")
    p.add_argument("--label", default="", help="where this ran (in the JSON)")
    p.add_argument("--out", type=Path, default=Path("build/bench-stream.json"))
    p.add_argument("--emulated", type=Path, metavar="ENV",
                   help="on the emulated board (labgrid environment with -icount) instead")
    a = p.parse_args()
    data = a.data or datasets.path_of("fashion-mnist")
    rows = []
    if a.emulated:
        data = Path(GUEST_DATA)
        rows = emulated(a.emulated, a.hidden or ["30", "128"], a.epochs, a.impl)
    for impl in a.impl.split(",") if not a.emulated else []:
        for hidden in a.hidden or ["30", "128"]:
            base = [str(a.bin / f"hdrnn-{impl}"), "--data", str(data), "--hidden", hidden,
                    "--epochs", str(a.epochs), "--quiet"]
            runs = {"memory": [], "stream": []}
            for _ in range(a.reps):
                for mode in runs:
                    runs[mode].append(one(base + ["--data-mode", mode]))
            row = _row(impl, hidden, a.epochs, a.reps, runs)
            med, ratio = row["median"], row["time_ratio"]
            rows.append(row)
            print(f"{impl} {hidden}: stream {med['stream']['max_rss_mib']:.1f} MiB vs "
                  f"{med['memory']['max_rss_mib']:.1f}, time x{ratio:.2f}", file=sys.stderr)
    out = {"data": str(data), "label": a.label,
           "machine": "emulated i.MX6Q, -icount shift=0 (train_s: 1e9 instructions)"
           if a.emulated else machine.machine_info(),
           "rss_target_mib": RSS_TARGET_MIB, "time_target": TIME_TARGET, "rows": rows}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(a.out, out)
    print("| trainer | network | peak RSS MiB memory | stream | saved | train s memory | "
          "stream | stream / memory |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        m, s = r["median"]["memory"], r["median"]["stream"]
        print(f"| {r['impl']} | 784-{r['hidden'].replace(',', '-')}-10 | "
              f"{m['max_rss_mib']:.1f} | {s['max_rss_mib']:.1f} | {r['rss_saved_mib']:.1f} | "
              f"{m['train_s']:.3f} | {s['train_s']:.3f} | {r['time_ratio']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
