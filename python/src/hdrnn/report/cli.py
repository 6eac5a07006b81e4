"""hdrnn-report DIR [DIR2 ...]: the thesis' figures (PNG and SVG) and index.md from one
or more hdrnn-run results directories (e.g. a host and a board)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cliutil import OneLineParser, run_main
from ..contract import network_label
from ..errors import UsageError
from ..files import write_text
from . import figures, tables
from .load import load

PROG = "hdrnn-report"


def render(results, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    figs = [figures.accuracy_vs_params(results, out), figures.accuracy_per_epoch(results, out),
            figures.time_vs_params(results, out), figures.rss_vs_params(results, out)]
    md = ["# HDR-NN training benchmark\n",
          "Sources: " + ", ".join(f"`{r.path}`" for r in results) + "\n",
          "Time is the wall time of the whole trainer process (data loading, training, "
          "evaluation after each epoch); memory is its peak RSS, both from wait4 as GNU "
          "time reports them.\n"]
    for f in figs:
        md.append(f"![{f[0]}]({f[0]})\n")
    for res in results:
        md += [f"## {res.label}\n", "### Summary\n", tables.summary(res),
               "### Training time, pairwise (thesis table 6.4)\n",
               "For each pair and size: 1 - lower/higher, in percent, and which is lower.\n",
               tables.pairwise(res, "wall_s"),
               "### Peak memory, pairwise (thesis table 6.5)\n",
               tables.pairwise(res, "max_rss_kib"),
               "### Weight agreement (`--check`)\n", tables.agreement(res),
               "### Accuracy agreement\n", _accuracy(res),
               "### Memory stress\n", tables.stress(res),
               "### Failed runs\n", _failed(res),
               "### Machine\n", tables.machine(res)]
    if len(results) > 1:
        md += ["## Side by side\n", "### Wall time (s)\n",
               tables.side_by_side(results, "wall_s"),
               "### Peak RSS (MiB)\n", tables.side_by_side(results, "max_rss_kib", 1 / 1024)]
    index = out / "index.md"
    write_text(index, "\n".join(md))
    return index


def _accuracy(res) -> str:
    if not res.accuracy:
        return "Not computed.\n"
    bad = res.accuracy.get("disagreements", [])
    return (f"{len(res.accuracy.get('groups', []))} configuration(s); implementations agree "
            f"within {res.accuracy.get('tolerance', 0) * 100:.1f} pp"
            + ("" if not bad else f" except {len(bad)}: " +
               "; ".join(f"{network_label(b['hidden'])} rep {b['rep']} {b['accuracies']}"
                         for b in bad)) + ".\n")


def _failed(res) -> str:
    failed = [r for r in res.runs if r["status"] != "ok" and r.get("kind") != "stress"]
    if not failed:
        return "None.\n"
    rows = [[r["id"], r["status"], r.get("signal") or r.get("exit_code"),
             (r.get("stderr_tail") or "").strip().splitlines()[-1:][0][:100].replace("|", "/")
             if (r.get("stderr_tail") or "").strip() else ""] for r in failed]
    return tables.table(["run", "status", "exit", "stderr"], rows)


def _main(argv):
    p = OneLineParser(prog=PROG, description=__doc__)
    p.add_argument("dirs", nargs="+", type=Path, help="results directories")
    p.add_argument("--out", type=Path, help="output directory (default: DIR/report)")
    a = p.parse_args(argv)
    results = [load(d) for d in a.dirs]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("matplotlib is not installed (pip install 'hdrnn[report]'); "
                         "copy the results to a host that has it") from None
    index = render(results, a.out or a.dirs[0] / "report")
    print(index)
    print(f"{PROG}: figures and index.md in {index.parent}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
