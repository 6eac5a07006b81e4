"""Markdown tables: the summary, the thesis' pairwise comparisons (6.4 time, 6.5
memory), weight agreement, stress results, machine info."""

from __future__ import annotations

import itertools

from ..contract import network_label
from .load import Results, mean, spread


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def summary(res: Results) -> str:
    rows = []
    for params, hidden in res.configs():
        for impl in res.impls():
            cell = res.cell(impl, hidden)
            if not cell:
                continue
            wall = [r["wall_s"] for r in cell]
            rss = [r["max_rss_kib"] / 1024 for r in cell]
            acc = [r["final_accuracy"] * 100 for r in cell]
            rows.append([network_label(hidden), params, impl, len(cell), f"{mean(acc):.2f}",
                         f"{mean(wall):.3f} ± {spread(wall):.3f}", f"{mean(rss):.1f}"])
    return table(["network", "params", "impl", "runs", "accuracy %", "wall s (mean ± sd)",
                  "peak RSS MiB"], rows)


def pair_percent(a: float, b: float) -> tuple[float, str]:
    """The thesis' measure: 1 - lower/higher, in percent, and which one is lower."""
    lo, hi = min(a, b), max(a, b)
    return (0.0 if hi == 0 else (1 - lo / hi) * 100), ("a" if a < b else "b" if b < a else "=")


def pairwise(res: Results, metric: str) -> str:
    """metric: 'wall_s' (table 6.4) or 'max_rss_kib' (table 6.5)."""
    impls = res.impls()
    rows = []
    for a, b in itertools.combinations(impls, 2):
        for params, hidden in res.configs():
            ca, cb = res.cell(a, hidden), res.cell(b, hidden)
            if not ca or not cb:
                continue
            va, vb = mean([r[metric] for r in ca]), mean([r[metric] for r in cb])
            pct, lower = pair_percent(va, vb)
            who = {"a": a, "b": b, "=": "equal"}[lower]
            rows.append([f"{a} vs {b}", network_label(hidden), f"{pct:.1f}", who])
    return table(["pair", "network", "1 - lower/higher %", "lower"], rows)


def side_by_side(results: list[Results], metric: str, scale: float = 1.0) -> str:
    header = ["network", "impl"] + [r.label for r in results]
    if len(results) == 2:
        header.append(f"ratio {results[1].label} / {results[0].label}")
    configs = sorted(set().union(*[set(r.configs()) for r in results]))
    impls = sorted(set().union(*[set(r.impls()) for r in results]))
    rows = []
    for params, hidden in configs:
        for impl in impls:
            vals = []
            for res in results:
                cell = res.cell(impl, hidden)
                vals.append(mean([r[metric] for r in cell]) * scale if cell else None)
            if all(v is None for v in vals):
                continue
            row = [network_label(hidden), impl] + [f"{v:.3f}" if v is not None else "-"
                                                    for v in vals]
            if len(results) == 2:
                row.append(f"{vals[1] / vals[0]:.2f}" if None not in vals and vals[0] else "-")
            rows.append(row)
    return table(header, rows)


def agreement(res: Results) -> str:
    if not res.agreement or not res.agreement.get("pairs"):
        return "No `--check` runs in this session.\n"
    rows = [[network_label(p["hidden"]), f"{p['a']} vs {p['b']}",
             f"{p['max_abs']:.3g}" if p.get("max_abs") is not None else "error",
             f"{p['mse']:.3g}" if p.get("mse") is not None else "error"]
            for p in res.agreement["pairs"]]
    return (f"After {res.agreement.get('epochs')} epoch(s); worst tensor per pair.\n\n" +
            table(["network", "pair", "max abs diff", "mean squared diff"], rows))


def stress(res: Results) -> str:
    if not res.stress:
        return "No stress run in this session.\n"
    rows = []
    for impl, s in sorted(res.stress["impls"].items()):
        f = s.get("failure") or {}
        how = (f"{f.get('status')} ({f.get('signal') or 'exit ' + str(f.get('exit_code'))}) "
               f"at hidden {f.get('hidden')}: {(f.get('stderr_tail') or '').strip()[-80:]}"
               if f else "no failure up to the largest size tried")
        rows.append([impl, s.get("largest_ok_hidden") or "none", how.replace("|", "/")])
    return (f"Memory limit {res.stress['mem_limit']} ({res.stress['method']}).\n\n" +
            table(["impl", "largest hidden size trained", "failure"], rows))


def machine(res: Results) -> str:
    m = res.session["machine"]
    keys = ["cpu_model", "machine", "cores", "mem_total_kib", "kernel", "libc", "python",
            "numpy", "torch", "hdrnn", "git_commit", "utc"]
    rows = [[k, m.get(k)] for k in keys]
    rows.append(["neon", m.get("neon")])
    rows.append(["rss measurement", res.session.get("rss_method")])
    for impl, t in sorted(res.session.get("trainers", {}).items()):
        desc = ", ".join(f"{k} {v}" for k, v in t.items() if k not in ("argv", "impl"))
        rows.append([f"trainer {impl}", desc or "-"])
    for impl, why in sorted(res.session.get("skipped", {}).items()):
        rows.append([f"skipped {impl}", why])
    return table(["", res.label], [[str(c).replace("|", "/") for c in r] for r in rows])
