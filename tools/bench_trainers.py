#!/usr/bin/env python3
"""Trainer speed and memory on full-size data (make bench-trainers; docs/performance.md).

In one run on this machine: the one-core sgemm rate (NumPy float32 matmul, one thread,
2048 x 2048, best of 5), then each trainer on Fashion-MNIST (60,000 images) at
784-30-10 and 784-128-10, each a separate process measured by hdrnn-run's wait4 code,
for --epochs epochs (3) of which the fastest counts (like the sgemm's best of 5: this VM's
neighbours add noise, never speed). GFLOP/s use the exact FLOP count of
flops_per_epoch(); results are JSON plus a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hdrnn import datasets
from hdrnn.contract import flops_per_sample
from hdrnn.runner import machine, measure
from hdrnn.files import write_json

SIZES = [[30], [128]]
SGEMM_N = 2048


def bench_env() -> dict:
    """One thread everywhere; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, if this machine
    sets them, are unset so that OpenBLAS picks its best kernel for this CPU."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def sgemm_rate(python: str, env: dict) -> dict:
    """One-thread sgemm of the NumPy used by the Python trainers, in the trainers'
    environment; threadpoolctl names the kernel it ran."""
    code = f"""
import json, time, numpy as np
from threadpoolctl import threadpool_info
n = {SGEMM_N}
a = np.random.default_rng(0).random((n, n), dtype=np.float32); b = a.T.copy()
a @ b
best = min((lambda t: (a @ b, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
info = [i for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({{"gflops": 2 * n ** 3 / best / 1e9, "n": n, "seconds": best,
                  "blas": info[0]["internal_api"] if info else None,
                  "kernel": info[0].get("architecture") if info else None}}))
"""
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout)


def batch_products(python: str, env: dict) -> list[dict]:
    """The forward product of a training batch, X [10, 784] @ W^T for the hidden sizes,
    one thread, best of 2,000: NumPy's BLAS (what hdrnn-numpy calls) and torch.mm (the
    BLAS inside libtorch_cpu, what hdrnn-torch and hdrnn-libtorch call)."""
    code = f"""
import json, time, numpy as np
def best(f, n=2000):
    f()
    t = []
    for _ in range(n):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return min(t)
rows = []
for h in {[s[0] for s in SIZES]}:
    x = np.random.rand(10, 784).astype(np.float32)
    w = np.random.rand(h, 784).astype(np.float32)
    out = np.empty((10, h), np.float32)
    rows.append({{"hidden": h, "lib": "numpy", "s": best(lambda: np.matmul(x, w.T, out=out))}})
    try:
        import torch
    except ImportError:
        continue
    torch.set_num_threads(1)
    tx, tw, tout = torch.from_numpy(x), torch.from_numpy(w), torch.empty(10, h)
    rows.append({{"hidden": h, "lib": "torch " + torch.__version__,
                 "s": best(lambda: torch.mm(tx, tw.t(), out=tout))}})
for r in rows:
    r["gflops"] = 2 * 10 * 784 * r["hidden"] / r["s"] / 1e9
print(json.dumps(rows))
"""
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout)


def trainers(tuned: Path, portable: Path, python: str) -> dict[str, list[str]]:
    t = {
        "c (host-tuned)": [str(tuned / "hdrnn-c")],
        "eigen (host-tuned)": [str(tuned / "hdrnn-eigen")],
        "c (portable)": [str(portable / "hdrnn-c")],
        "eigen (portable)": [str(portable / "hdrnn-eigen")],
        "numpy": [python, "-m", "hdrnn.train_numpy"],
        "torch": [python, "-m", "hdrnn.train_torch", "--threads", "1"],
    }
    for d, tag in ((tuned, "host-tuned"), (portable, "portable")):
        if (d / "hdrnn-libtorch").exists():
            t[f"libtorch ({tag})"] = [str(d / "hdrnn-libtorch"), "--threads", "1"]
    return t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tuned", type=Path, required=True, help="bin dir of the -march=native build")
    p.add_argument("--portable", type=Path, required=True, help="bin dir of the default build")
    p.add_argument("--data", type=Path, help="default: hdrnn-data path fashion-mnist")
    p.add_argument("--out", type=Path, default=Path("build/bench-trainers.json"))
    p.add_argument("--epochs", type=int, default=3, help="per run; the fastest counts")
    a = p.parse_args()
    data = a.data or datasets.path_of("fashion-mnist")
    python = sys.executable
    env = bench_env()
    sg = sgemm_rate(python, env)
    print(f"sgemm (one thread, {sg['blas']} {sg['kernel']}): {sg['gflops']:.1f} GFLOP/s",
          file=sys.stderr)
    products = batch_products(python, env)
    for r in products:
        print(f"10x784 @ 784x{r['hidden']} ({r['lib']}): {r['s'] * 1e6:.1f} us, "
              f"{r['gflops']:.1f} GFLOP/s", file=sys.stderr)
    rows = []
    for name, argv in trainers(a.tuned, a.portable, python).items():
        for hidden in SIZES:
            cmd = argv + ["--data", str(data), "--hidden", ",".join(map(str, hidden)),
                          "--epochs", str(a.epochs)]
            m = measure.run(cmd, timeout=3600, env=env)
            epochs = [e for e in m.events if e.get("event") == "epoch"]
            epoch = min(epochs, key=lambda e: e["train_s"]) if epochs else None
            if m.exit_code != 0 or not epoch:
                rows.append({"impl": name, "hidden": hidden, "error": m.stderr_tail[-300:]})
                print(f"{name} {hidden}: failed: {m.stderr_tail[-200:]}", file=sys.stderr)
                continue
            start = next(e for e in m.events if e.get("event") == "start")
            flops = flops_per_sample(hidden, 10) * start["train"]
            gflops = flops / epoch["train_s"] / 1e9
            rows.append({"impl": name, "hidden": hidden, "train_samples": start["train"],
                         "epoch_train_s": epoch["train_s"], "wall_s": m.wall_s,
                         "all_epochs_train_s": [e["train_s"] for e in epochs],
                         "gflop_per_epoch": flops / 1e9, "gflops": gflops,
                         "pct_of_sgemm": 100 * gflops / sg["gflops"],
                         "max_rss_mib": m.max_rss_kib / 1024,
                         "accuracy_after": epochs[-1]["accuracy"], "start": start})
            print(f"{name} {hidden}: {epoch['train_s']:.3f} s, {gflops:.1f} GFLOP/s, "
                  f"{m.max_rss_kib / 1024:.1f} MiB", file=sys.stderr)
    result = {"machine": machine.machine_info(), "sgemm": sg, "batch_products": products,
              "data": str(data),
              "rows": rows, "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(a.out, result)
    print(table(result))
    return 0


def table(result: dict) -> str:
    ok = [r for r in result["rows"] if "error" not in r]
    ref = {tuple(r["hidden"]): r["epoch_train_s"] for r in ok if r["impl"] == "c (host-tuned)"}
    lines = ["| trainer | network | s / epoch | GFLOP/s | % of sgemm | x C (tuned) time "
             "| peak RSS MiB |", "|---|---|---|---|---|---|---|"]
    for r in sorted(ok, key=lambda r: (r["hidden"], r["epoch_train_s"])):
        h = tuple(r["hidden"])
        ratio = f"{r['epoch_train_s'] / ref[h]:.2f}" if h in ref else "-"
        lines.append(f"| {r['impl']} | 784-{'-'.join(map(str, h))}-10 | "
                     f"{r['epoch_train_s']:.3f} | {r['gflops']:.1f} | {r['pct_of_sgemm']:.0f} | "
                     f"{ratio} | {r['max_rss_mib']:.1f} |")
    if result.get("batch_products"):
        lines += ["", "| forward product of a batch | BLAS via | us | GFLOP/s |",
                  "|---|---|---|---|"]
        lines += [f"| 10x784 @ 784x{p['hidden']} | {p['lib']} | {p['s'] * 1e6:.1f} | "
                  f"{p['gflops']:.1f} |" for p in result["batch_products"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
