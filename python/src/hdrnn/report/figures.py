"""The thesis' figures 6.1-6.3 with matplotlib (imported only here: the board has none).

Networks with one hidden layer form one line per implementation; networks with more
hidden layers are drawn as their own series (open markers, dotted), because 784-32-10
and 784-32-16-10 have almost the same parameter count and a line through both would
join different architectures. Legends sit outside the axes, never over data."""

from __future__ import annotations

import io
from pathlib import Path

from ..files import write_atomic
from .load import Results
from .stats import median, median_ci


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out: Path, name: str) -> list[str]:
    files = []
    for ext in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=120, bbox_inches="tight")
        write_atomic(out / f"{name}.{ext}", [buf.getvalue()])
        files.append(f"{name}.{ext}")
    _plt().close(fig)
    return files


def _text(label: str) -> str:
    """A label as plain text: matplotlib would read $...$ as mathtext (and fail)."""
    return str(label).replace("$", r"\$")


def _series(res: Results, impl: str, value, deep: bool):
    """x (params), median, lower and upper error of the networks of one depth class."""
    xs, ys, lo, hi = [], [], [], []
    for params, hidden in res.configs():
        if (len(hidden) > 1) != deep:
            continue
        vals = [v for v in (value(r) for r in res.cell(impl, hidden)) if v is not None]
        if not vals:
            continue
        mid = median(vals)
        ci = median_ci(vals) or (mid, mid)
        xs.append(params)
        ys.append(mid)
        lo.append(mid - ci[0])
        hi.append(ci[1] - mid)
    return xs, ys, lo, hi


def _per_impl(ax, results: list[Results], value, log_y=False):
    markers = "osD^v<>ph*"
    for k, res in enumerate(results):
        for j, impl in enumerate(res.impls()):
            for deep in (False, True):
                xs, ys, lo, hi = _series(res, impl, value, deep)
                if not xs:
                    continue
                label = impl + (" (2+ hidden layers)" if deep else "")
                if len(results) > 1:
                    label += f" [{res.tagged_label}]"
                label = _text(label)
                color = f"C{j % 10}"
                ax.errorbar(xs, ys, yerr=[lo, hi], marker=markers[j % len(markers)],
                            color=color, mfc="none" if deep else color, capsize=3,
                            linestyle=":" if deep else ("-" if k == 0 else "--"), label=label)
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)


def _figure(results, out: Path, name: str, title: str, ylabel: str, value, log_y=False):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    _per_impl(ax, results, value, log_y)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _save(fig, out, name)


def accuracy_vs_params(results, out: Path) -> list[str]:
    return _figure(results, out, "fig6_1_accuracy_vs_params",
                   "6.1 Final accuracy vs parameter count",
                   "final test accuracy (%), median [95 % CI]",
                   lambda r: None if r.get("final_accuracy") is None
                   else r["final_accuracy"] * 100)


def time_vs_params(results, out: Path) -> list[str]:
    return _figure(results, out, "fig6_2_time_vs_params",
                   "6.2 Training time vs parameter count (start-up and evaluation excluded)",
                   "training time (s), median [95 % CI]", lambda r: r.get("train_s"),
                   log_y=True)


def rss_vs_params(results, out: Path) -> list[str]:
    return _figure(results, out, "fig6_3_rss_vs_params", "6.3 Peak memory vs parameter count",
                   "peak RSS (MiB, wait4), median", lambda r: r["max_rss_kib"] / 1024,
                   log_y=True)


def accuracy_per_epoch(results, out: Path) -> list[str]:
    plt = _plt()
    from matplotlib.ticker import MaxNLocator
    res = results[0]
    configs = [(p, h) for p, h in res.configs()
               if any(r["epoch_log"] for i in res.impls() for r in res.cell(i, h))]
    if not configs:
        return []
    cols = min(4, len(configs))
    rows = (len(configs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 1.5, 2.9 * rows),
                             squeeze=False)
    for ax, (params, hidden) in zip(axes.flat, configs):
        for impl in res.impls():
            cell = [r for r in res.cell(impl, hidden) if r["epoch_log"]]
            if not cell:
                continue
            n = min(len(r["epoch_log"]) for r in cell)
            ys = [median([r["epoch_log"][e]["accuracy"] * 100 for r in cell])
                  for e in range(n)]
            ax.plot(range(1, n + 1), ys, marker=".", label=_text(impl))
        ax.set_title(res.network(hidden), fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("accuracy (%), median", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(configs):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 0.95))
    fig.suptitle(_text(f"6.1 Accuracy per epoch ({res.tagged_label})"))
    fig.tight_layout()
    return _save(fig, out, "fig6_1_accuracy_per_epoch")


def accuracy_by_round(results: list[Results], out: Path) -> list[str]:
    """Federated sessions: the global model's test accuracy after each round."""
    fed = [r for r in results if r.federation]
    if not fed:
        return []
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for res in fed:
        f = res.federation
        s = f["settings"]
        xs = [0] + [r["round"] for r in f["rounds"]]
        ys = [(f.get("initial") or {}).get("accuracy", 0.0)] + \
            [r.get("accuracy") or 0.0 for r in f["rounds"]]
        ax.plot(xs, [y * 100 for y in ys], marker="o",
                label=_text(f"{s.get('impl')} {s.get('hidden')} {s.get('partition')} "
                            f"({res.path.name})"))
    ax.set_xlabel("round")
    ax.set_ylabel("global test accuracy (%)")
    ax.set_title("Federated training: accuracy by round")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    return _save(fig, out, "fed_accuracy_by_round")
