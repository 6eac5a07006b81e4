#!/usr/bin/env python3
"""--data-mode stream against memory (make bench-stream; docs/performance.md).

hdrnn-c and hdrnn-eigen on Fashion-MNIST (60,000 + 10,000 images), each mode a separate
process measured by hdrnn-run's wait4 code (peak RSS) with the trainer's own clock
(train_s, the epoch's training only), the two modes interleaved --reps times so that a
drift of this machine falls on both. Per trainer and network: the medians, the RSS
target (stream <= 8 MiB) and the time target (stream / memory <= 1.3, the median of the
per-round ratios). Writes JSON; a Markdown table on stdout. Exit 0 whatever the figures
(targets are reported, not asserted: this is a benchmark, not a test)."""

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
    a = p.parse_args()
    data = a.data or datasets.path_of("fashion-mnist")
    rows = []
    for impl in a.impl.split(","):
        for hidden in a.hidden or ["30", "128"]:
            base = [str(a.bin / f"hdrnn-{impl}"), "--data", str(data), "--hidden", hidden,
                    "--epochs", str(a.epochs), "--quiet"]
            runs = {"memory": [], "stream": []}
            for _ in range(a.reps):
                for mode in runs:
                    runs[mode].append(one(base + ["--data-mode", mode]))
            med = {mode: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                   for mode, rs in runs.items()}
            ratio = statistics.median(s["train_s"] / m["train_s"]
                                      for m, s in zip(runs["memory"], runs["stream"]))
            row = {"impl": impl, "hidden": hidden, "epochs": a.epochs, "reps": a.reps,
                   "runs": runs, "median": med, "time_ratio": ratio,
                   "rss_saved_mib": med["memory"]["max_rss_mib"] - med["stream"]["max_rss_mib"],
                   "rss_target_met": med["stream"]["max_rss_mib"] <= RSS_TARGET_MIB,
                   "time_target_met": ratio <= TIME_TARGET}
            rows.append(row)
            print(f"{impl} {hidden}: stream {med['stream']['max_rss_mib']:.1f} MiB vs "
                  f"{med['memory']['max_rss_mib']:.1f}, time x{ratio:.2f}", file=sys.stderr)
    out = {"data": str(data), "label": a.label, "machine": machine.machine_info(),
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
