#!/usr/bin/env python3
"""Federated training on this machine (make bench-fed; docs/performance.md, "Federated
training"). hdrnn-run fed with 10 clients x 10 rounds, hdrnn-c 784-30-10, one local
epoch, on mnist-10k split IID and split dirichlet:0.3; per federation: the global
accuracy, the whole wall time (hdrnn-run fed's monotonic clock: Flower's start-up and
shutdown included), the server's round times, Flower's overhead per round (a round's
wall less its slowest client's trainer), the weights' bytes per round, and the peak
RSS and PSS of all of one node's processes (SuperNode, SuperExec, ClientApp, trainer:
sampled from /proc). JSON, and a Markdown table on stdout. Targets (the issue's): IID
accuracy >= 0.88 and the whole federation under 120 s."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from hdrnn.files import write_json
from hdrnn.report.stats import median

TARGET_ACCURACY, TARGET_S = 0.88, 120.0


def federation(out: Path, partition: str, clients: int, rounds: int, native_bin: str) -> dict:
    cmd = [sys.executable, "-m", "hdrnn.runner.cli", "fed", "--clients", str(clients),
           "--rounds", str(rounds), "--partition", partition, "--impl", "c", "--hidden",
           "30", "--local-epochs", "1", "--native-bin", native_bin, "--out", str(out),
           "--quiet"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"bench-fed: {partition}: exit {r.returncode}: {r.stderr[-500:]}")
    fed = json.loads((out / "federation.json").read_text())
    session = json.loads((out / "session.json").read_text())
    (run,) = session["flower_runs"]
    peaks = run["memory"]["peaks"]
    nodes = [v for k, v in peaks.items() if k.startswith("node-")]
    rounds_ = fed["rounds"]
    return {
        "partition": partition, "clients": clients, "rounds": len(rounds_),
        "accuracy": rounds_[-1]["accuracy"], "best": fed.get("best"),
        "wall_s": run["wall_s"],
        "round_s_median": median([x["wall_s"] for x in rounds_]),
        "overhead_s_median": median([x["overhead_s"] for x in rounds_]),
        "client_train_s_median": median([c["train_s"] for x in rounds_ for c in x["clients"]
                                         if c["status"] == "ok"]),
        "bytes_per_round": rounds_[-1]["bytes_sent"] + rounds_[-1]["bytes_received"],
        "node_peak_rss_mib": max(n["rss_kib"] for n in nodes) / 1024,
        "node_peak_pss_mib": max(n["pss_kib"] for n in nodes) / 1024,
        "superlink_peak_rss_mib": peaks["superlink"]["rss_kib"] / 1024,
        "trainer_peak_rss_mib": max(c["max_rss_kib"] for x in rounds_ for c in x["clients"]
                                    if c["status"] == "ok") / 1024,
        "results": str(out),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="a directory for the sessions")
    p.add_argument("--native-bin", required=True)
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--rounds", type=int, default=10)
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for partition in ("iid", "dirichlet:0.3"):
        out = a.out / partition.replace(":", "-")
        if out.exists():
            subprocess.run(["rm", "-rf", str(out)], check=True)
        rows.append(federation(out, partition, a.clients, a.rounds, a.native_bin))
    iid = rows[0]
    verdict = {"accuracy >= 0.88 (iid)": iid["accuracy"] >= TARGET_ACCURACY,
               "whole federation < 120 s (iid)": iid["wall_s"] < TARGET_S}
    write_json(a.out / "bench-fed.json", {"federations": rows, "targets": verdict})
    print("| partition | accuracy | whole s | round s | Flower overhead s / round | "
          "client train s | kB / round | node peak RSS / PSS MiB | trainer RSS MiB | "
          "SuperLink RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['partition']} | {r['accuracy']:.4f} | {r['wall_s']:.1f} | "
              f"{r['round_s_median']:.2f} | {r['overhead_s_median']:.2f} | "
              f"{r['client_train_s_median']:.3f} | {r['bytes_per_round'] / 1e3:.0f} | "
              f"{r['node_peak_rss_mib']:.0f} / {r['node_peak_pss_mib']:.0f} | "
              f"{r['trainer_peak_rss_mib']:.1f} | {r['superlink_peak_rss_mib']:.0f} |")
    for what, ok in verdict.items():
        print(f"- {what}: {'met' if ok else 'NOT met'}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
