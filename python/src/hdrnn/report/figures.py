"""The thesis' figures 6.1-6.3 with matplotlib (imported only here: the board has none)."""

from __future__ import annotations

from pathlib import Path

from ..contract import network_label
from .load import Results, mean, spread


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out: Path, name: str) -> list[str]:
    files = []
    for ext in ("png", "svg"):
        fig.savefig(out / f"{name}.{ext}", dpi=120, bbox_inches="tight")
        files.append(f"{name}.{ext}")
    _plt().close(fig)
    return files


def _per_impl(ax, results: list[Results], value, log_y=False, errors=True):
    markers = "osD^v<>ph*"
    for k, res in enumerate(results):
        for j, impl in enumerate(res.impls()):
            xs, ys, es = [], [], []
            for params, hidden in res.configs():
                cell = res.cell(impl, hidden)
                if cell:
                    vals = [value(r) for r in cell]
                    xs.append(params)
                    ys.append(mean(vals))
                    es.append(spread(vals))
            label = impl if len(results) == 1 else f"{impl} [{res.label}]"
            ax.errorbar(xs, ys, yerr=es if errors else None, marker=markers[j % len(markers)],
                        linestyle="-" if k == 0 else "--", capsize=3, label=label)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def accuracy_vs_params(results, out: Path) -> list[str]:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _per_impl(ax, results, lambda r: r["final_accuracy"] * 100)
    ax.set_ylabel("final test accuracy (%)")
    ax.set_title("6.1 Accuracy vs parameter count")
    return _save(fig, out, "fig6_1_accuracy_vs_params")


def accuracy_per_epoch(results, out: Path) -> list[str]:
    plt = _plt()
    from matplotlib.ticker import MaxNLocator
    res = results[0]
    configs = res.configs()
    cols = min(4, len(configs))
    rows = (len(configs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
    for ax, (params, hidden) in zip(axes.flat, configs):
        for impl in res.impls():
            cell = res.cell(impl, hidden)
            n = min(len(r["epoch_log"]) for r in cell)
            ys = [mean([r["epoch_log"][e]["accuracy"] * 100 for r in cell]) for e in range(n)]
            ax.plot(range(1, n + 1), ys, marker=".", label=impl)
        ax.set_title(network_label(hidden), fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("accuracy (%)", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(configs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"6.1 Accuracy per epoch ({res.label})")
    fig.tight_layout()
    return _save(fig, out, "fig6_1_accuracy_per_epoch")


def time_vs_params(results, out: Path) -> list[str]:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _per_impl(ax, results, lambda r: r["wall_s"], log_y=True)
    ax.set_ylabel("training run wall time (s), mean ± sd")
    ax.set_title("6.2 Training time vs parameter count")
    return _save(fig, out, "fig6_2_time_vs_params")


def rss_vs_params(results, out: Path) -> list[str]:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _per_impl(ax, results, lambda r: r["max_rss_kib"] / 1024, log_y=True)
    ax.set_ylabel("peak RSS (MiB)")
    ax.set_title("6.3 Peak memory vs parameter count")
    return _save(fig, out, "fig6_3_rss_vs_params")
