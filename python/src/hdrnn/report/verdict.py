"""The answer first: for each network of a session, which implementation trained
fastest and which used the least peak memory, by what ratio over the runner-up, whether
that difference exceeds the noise measured over the repetitions, and whether the
accuracies agree; then the thesis' pairwise comparison (its section 6.3) for every pair
of implementations present.

"Beyond the noise" means the 95 % bootstrap interval of the ratio of the medians
(runner-up / winner, both sides resampled; stats.ratio_ci) lies wholly above 1. Below
stats.MIN_REPS repetitions on either side no interval is computed and the verdict says
so instead of guessing.
"""

from __future__ import annotations

import itertools

from .load import Results
from .stats import MIN_REPS, median, ratio_ci
from .tables import esc, table

METRICS = (("train_s", "trained fastest", "faster", "slower"),
           ("max_rss_kib", "used the least peak memory", "less memory", "more memory"))
# Emulated runs with the cache plugin's counts: the board's time is the model's cycles
MODELLED = ("a9_cycles", "trained fastest (modelled Cortex-A9 cycles)", "fewer cycles",
            "more cycles")
# Accuracies agree when their medians lie within this of each other, or within the
# spread of the repetitions themselves (each repetition trains from its own seed).
ACCURACY_SLACK = 0.01


def _cells(res: Results, hidden: tuple, key: str) -> dict[str, list[float]]:
    out = {}
    for impl in res.impls():
        vals = [r[key] for r in res.cell(impl, hidden) if r.get(key) is not None]
        if vals and min(vals) > 0:
            out[impl] = vals
    return out


def _noise(best: list[float], other: list[float]) -> str:
    ratio, ci = ratio_ci(best, other)
    n = f"{len(best)} and {len(other)} repetitions"
    if ci is None:
        return (f"too few repetitions for an interval ({n}; {MIN_REPS} or more give "
                "one)")
    verdict = "beyond the noise" if ci[0] > 1 else "within the noise"
    return f"{verdict} (95 % interval of the ratio {ci[0]:.2f}-{ci[1]:.2f}x, {n})"


def _ranked(cells: dict[str, list[float]], what: str, unit: str) -> str:
    order = sorted(cells, key=lambda i: (median(cells[i]), i))
    best = order[0]
    if len(order) == 1:
        return f"only **{esc(best)}** ran ({what})"
    second = order[1]
    ratio = median(cells[second]) / median(cells[best])
    return (f"**{esc(best)}** {what}, {ratio:.2f}x {unit} than {esc(second)} (the "
            f"runner-up): {_noise(cells[best], cells[second])}")


def _accuracy(res: Results, hidden: tuple) -> str | None:
    acc = _cells(res, hidden, "final_accuracy")
    if len(acc) < 2:
        return None
    meds = {i: median(v) for i, v in acc.items()}
    spread = max(meds.values()) - min(meds.values())
    within = max(max(v) - min(v) for v in acc.values())
    span = f"medians {min(meds.values()) * 100:.2f}-{max(meds.values()) * 100:.2f} %"
    if spread <= max(ACCURACY_SLACK, within):
        return f"accuracies agree ({span})"
    low = min(meds, key=meds.get)
    return (f"accuracies differ beyond the repetitions' spread ({span}; lowest "
            f"{esc(low)})")


def summary(res: Results) -> str:
    """The verdict in words, one item per network."""
    if not res.configs() and res.federation:
        return "A federated session: its verdict is under Federated training.\n"
    if not res.configs():
        return "No run of the matrix succeeded: there is nothing to compare.\n"
    emu = res.emulated or {}
    unit = (" (modelled Cortex-A9: ranked by modelled cycles per training sample, "
            "docs/performance.md)" if res.modelled else
            " (emulated Cortex-A9: ranked by instruction counts, QEMU -icount)"
            if emu.get("instructions") else " (emulated: the emulator's times)" if emu
            else "")
    metrics = (MODELLED,) + METRICS[1:] if res.modelled else METRICS
    time_key = metrics[0][0]
    lines = []
    for _, hidden in res.configs():
        parts = []
        for key, what, faster, _ in metrics:
            cells = _cells(res, hidden, key)
            if cells:
                parts.append(_ranked(cells, what, faster))
        acc = _accuracy(res, hidden)
        if acc:
            parts.append(acc)
        lines.append(f"- **{res.network(hidden)}**{unit}: " + "; ".join(parts) + ".")
    wins = {}
    for _, hidden in res.configs():
        cells = _cells(res, hidden, time_key)
        if cells:
            best = min(cells, key=lambda i: (median(cells[i]), i))
            wins[best] = wins.get(best, 0) + 1
    if len(res.configs()) > 1 and wins:
        top = max(wins, key=wins.get)
        lines.insert(0, f"Over {len(res.configs())} networks, **{esc(top)}** trained "
                        f"fastest{' (modelled Cortex-A9)' if res.modelled else ''} at "
                        f"{wins[top]} of them.")
    return "\n".join(lines) + "\n"


def _percent(a: list[float], b: list[float], better: str, worse: str) -> str:
    """A against B as the thesis says it: how much less of B's time (or memory) A
    needs, in percent of B's."""
    ma, mb = median(a), median(b)
    change = (mb - ma) / mb * 100
    return f"{abs(change):.1f} % {better if change >= 0 else worse}"


def pairwise(res: Results) -> str:
    """Thesis section 6.3: every pair of implementations, per network: percent faster
    and percent less memory of the first against the second (medians)."""
    rows = []
    for _, hidden in res.configs():
        time, mem = _cells(res, hidden, "train_s"), _cells(res, hidden, "max_rss_kib")
        for a, b in itertools.combinations(sorted(set(time) | set(mem)), 2):
            rows.append([res.network(hidden), f"{esc(a)} vs {esc(b)}",
                         _percent(time[a], time[b], "faster", "slower")
                         if a in time and b in time else "-",
                         _percent(mem[a], mem[b], "less memory", "more memory")
                         if a in mem and b in mem else "-"])
    if not rows:
        return "Fewer than two implementations ran successfully.\n"
    return table(["network", "pair (A vs B)", "training time of A", "peak RSS of A"], rows)
