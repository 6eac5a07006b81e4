"""hdrnn-report compare BASE NEW: did training time or peak memory change beyond noise?

Per configuration (network and implementation) in both directories: the ratio of the
medians NEW / BASE with its 95 % bootstrap interval (both sides resampled). A change
counts as a regression when the whole interval lies above 1 + threshold, i.e. when even
the most favourable reading of the noise leaves it slower (or larger) than allowed (and
an improvement when it lies wholly below 1 - threshold). With fewer than three runs on a
side there is no interval and the ratio itself is judged, which the verdict says.
"""

from __future__ import annotations

import math

from ..errors import UsageError
from .load import Results
from .stats import ratio_ci
from .tables import esc, table

METRICS = (("train_s", "training time", 1.0), ("max_rss_kib", "peak RSS", 1 / 1024))


def parse_threshold(text: str) -> float:
    """'5%' or '5' -> 0.05."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise UsageError(f"--fail-above {text!r}: expected a percentage like 5%") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--fail-above {text!r}: must be a percentage >= 0")
    return value / 100


def compare(base: Results, new: Results, threshold: float) -> tuple[str, list[str]]:
    """The Markdown table and the list of regressions (one line each)."""
    rows, regressions, improvements, unsure = [], [], [], 0
    for params, hidden in sorted(set(base.configs()) & set(new.configs())):
        for impl in sorted(set(base.impls()) & set(new.impls())):
            b_cell, n_cell = base.cell(impl, hidden), new.cell(impl, hidden)
            if not b_cell or not n_cell:
                continue
            row = [new.network(hidden), esc(impl), f"{len(b_cell)} / {len(n_cell)}"]
            verdict = "ok"
            for key, name, scale in METRICS:
                b = [r[key] * scale for r in b_cell if r.get(key) is not None]
                n = [r[key] * scale for r in n_cell if r.get(key) is not None]
                if not b or not n or min(b) <= 0:
                    row.append("-")
                    continue
                ratio, ci = ratio_ci(b, n)
                low, high = ci if ci else (ratio, ratio)
                unsure += ci is None
                row.append(f"{(ratio - 1) * 100:+.1f} %" + (
                    f" [{(ci[0] - 1) * 100:+.1f}, {(ci[1] - 1) * 100:+.1f}]" if ci else
                    f" (n={len(b)}/{len(n)}: no interval)"))
                if high < 1 - threshold:
                    improvements.append(f"{new.network(hidden)} {impl}: {name} "
                                        f"{(ratio - 1) * 100:+.1f} %")
                if low > 1 + threshold:
                    verdict = "**REGRESSION**"
                    regressions.append(f"{new.network(hidden)} {impl}: {name} "
                                       f"{(ratio - 1) * 100:+.1f} % (interval from "
                                       f"{(low - 1) * 100:+.1f} %)")
            rows.append(row + [verdict])
    head = (f"NEW `{esc(new.label)}` against BASE `{esc(base.label)}`: change of the median, "
            f"[95 % bootstrap interval]; a regression is an interval wholly above "
            f"+{threshold * 100:g} %.\n\n")
    if not rows:
        return ("**Verdict:** nothing to compare: no configuration ran successfully in "
                "both.\n\n" + head), regressions
    said = (f"**Verdict:** {len(regressions)} regression(s) beyond the noise and the "
            f"{threshold * 100:g} % threshold: " + "; ".join(esc(r) for r in regressions)
            if regressions else f"**Verdict:** no regression beyond the noise and the "
            f"{threshold * 100:g} % threshold over {len(rows)} configuration(s)")
    said += (f". Improvements: {'; '.join(esc(x) for x in improvements)}" if improvements
             else "")
    said += (f". {unsure} figure(s) had fewer than 3 runs on a side: judged by the ratio "
             "alone, without an interval" if unsure else "") + ".\n\n"
    head = said + head
    return head + table(["network", "impl", "runs base / new", "training time",
                         "peak RSS", "verdict"], rows), regressions
