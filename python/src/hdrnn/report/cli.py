"""hdrnn-report DIR [DIR2 ...]: the thesis' figures (PNG and SVG), index.md and runs.csv
from one or more hdrnn-run results directories (e.g. a host and a board).
hdrnn-report compare BASE NEW [--fail-above 5%]: exit 1 when training time or peak
memory regressed beyond noise (a gate for CI)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..cliutil import add_version, OneLineParser, run_main
from ..errors import DataError, UsageError
from ..files import write_text
from . import compare as cmp
from . import federation, figures, tables, verdict
from .export import write_runs_csv
from .load import Results, load

PROG = "hdrnn-report"

READING = (
    "How to read it (docs/runner.md says more): **training time** is the sum of the "
    "trainer's own per-epoch `train_s` (its monotonic clock): shuffling and mini-batch "
    "SGD, without start-up (loading, initialisation) and without the test evaluation. "
    "**Peak RSS** is the trainer process's high-water mark from `wait4`, as GNU time "
    "reports it; the anonymous / file-backed split is sampled from /proc. The **whole "
    "process** table is what the thesis measured: wall time from start to exit. Figures "
    "in brackets are 95 % percentile-bootstrap intervals of the median over the "
    "repetitions, given from 3 repetitions on (fewer give none); each repetition trains "
    "from its own seed unless the session used `--same-seed`.\n")


def _warnings(res: Results) -> list[str]:
    out = []
    emu = res.emulated
    if emu:
        out.append(f"**{esc_label(res)}: emulated Cortex-A9, 1 instruction = 1 ns** "
                   f"({tables.esc(emu.get('description', 'QEMU -icount'))}): times are "
                   "instruction counts, not board timings.")
    busy = [r for r in res.timing_runs() if r.get("busy")]
    if busy:
        out.append(f"**{esc_label(res)}: {len(busy)} run(s) waited for a CPU** (wall time "
                   "well above user + sys): a busy machine; their times are not to be "
                   "trusted (marked in the tables).")
    resumed = [r for r in res.timing_runs() if r.get("resumed")]
    if resumed:
        out.append(f"**{esc_label(res)}: {len(resumed)} run(s) were resumed from their "
                   "checkpoints** after an interruption: their accuracy and peak RSS count, "
                   "their times (which cover only the last attempt) are left out.")
    if res.agreement and any(not r.get("ok") for r in res.agreement.get("rows", [])):
        out.append(f"**{esc_label(res)}: the agreement check failed**: some "
                   "implementation does not compute what the reference does.")
    return out


def esc_label(res: Results) -> str:
    return tables.esc(res.label)


def render(results: list[Results], out: Path) -> Path:
    if out.is_symlink():
        raise DataError(f"{out}: is a symbolic link; refusing to write the report through it")
    out.mkdir(parents=True, exist_ok=True)
    figs = [figures.accuracy_vs_params(results, out), figures.accuracy_per_epoch(results, out),
            figures.time_vs_params(results, out), figures.rss_vs_params(results, out),
            figures.accuracy_by_round(results, out)]
    md = ["# HDR-NN training benchmark\n", "## Verdict\n"]
    for res in results:
        md += ([f"### {esc_label(res)}\n"] if len(results) > 1 else []) + \
            [verdict.summary(res)]
    md += ["Sources: " + ", ".join(f"`{tables.esc(r.path)}`" for r in results) + "\n"]
    md += [f"> {w}\n" for res in results for w in _warnings(res)]
    md.append(READING)
    md += [f"![{f[0]}]({f[0]})\n" for f in figs if f]
    md += federation.section(results)
    for res in results:
        if res.federation and not res.timing_runs():
            continue  # a federation's rounds: federation.section above
        emu = res.emulated
        unit = (f" ({tables.esc(emu.get('description'))}: a second is 1e9 instructions)"
                if emu and emu.get("instructions") else
                f" ({tables.esc(emu.get('description'))})" if emu else "")
        md += [f"## {esc_label(res)}\n",
               f"### Training time and memory{unit}\n", tables.training(res)]
        if emu and emu.get("instructions"):
            md += [f"### Instruction counts{unit}\n",
                   f"QEMU: `{tables.esc(emu.get('qemu'))}`. FLOP as docs/performance.md "
                   "counts them.\n", tables.instructions(res)]
        if emu:
            md += ["### Caches and modelled Cortex-A9 cycles per training sample\n",
                   tables.cache_model(res)]
        md += ["### Every pair of implementations (thesis section 6.3)\n",
               "Training time and peak RSS of A against B, medians: how much less of "
               "B's time or memory A needs, in percent of B's.\n", verdict.pairwise(res),
               f"### Training time, implementation x implementation (thesis table 6.4){unit}\n",
               "Median training time of the row over that of the column.\n",
               tables.matrix(res, "train_s"),
               "### Peak memory, implementation x implementation (thesis table 6.5)\n",
               tables.matrix(res, "max_rss_kib"),
               "### Stream mode: memory saved\n", tables.stream_mode(res),
               "### Hardware counters per training sample (perf, measured)\n",
               "The run's counters less those of the same command on one batch (start-up "
               "and the test evaluations), per sample trained beyond it; the PL310's L2 "
               "events count the whole system (docs/runner.md).\n",
               tables.counters(res),
               "### Accuracy across seeds\n", tables.accuracy(res),
               "### Whole process (the thesis' measure: start-up and evaluation included)"
               f"{unit}\n",
               tables.whole_process(res),
               "### Agreement check\n", tables.agreement(res),
               "### Memory stress\n", tables.stress(res),
               "### Failed runs\n", tables.failed(res),
               "### Machine\n", tables.machine(res)]
    if len(results) > 1:
        md += ["## Side by side\n", "### Training time (s, median)\n",
               tables.side_by_side(results, "train_s"),
               "### Peak RSS (MiB, median)\n",
               tables.side_by_side(results, "max_rss_kib", 1 / 1024),
               "### Per training sample: measured (perf) and modelled (Cortex-A9)\n",
               "Instructions, L1D misses and cycles per training sample (the run less "
               "its one-batch baseline): perf's counts on a board, or QEMU's cache plugin "
               "and the model of docs/performance.md for an emulated run. Counters a "
               "machine could not give are in each session's counter table.\n",
               tables.measured_vs_modelled(results)]
    write_runs_csv(results, out / "runs.csv")
    index = out / "index.md"
    write_text(index, "\n".join(md))
    return index


def _need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("matplotlib is not installed (pip install 'hdrnn[report]'); "
                         "copy the results to a host that has it") from None


def _compare(argv) -> int:
    p = OneLineParser(prog=f"{PROG} compare", description=cmp.__doc__.split("\n\n")[0])
    p.add_argument("base", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--fail-above", default="5%", help="threshold, e.g. 5%% (default)")
    a = p.parse_args(argv)
    threshold = cmp.parse_threshold(a.fail_above)
    text, regressions = cmp.compare(load(a.base), load(a.new), threshold)
    print(text)
    for line in regressions:
        print(f"{PROG}: regression: {line}", file=sys.stderr)
    return 1 if regressions else 0


def _main(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compare"]:
        return _compare(argv[1:])
    p = OneLineParser(prog=PROG, description=__doc__)
    add_version(p)
    p.add_argument("dirs", nargs="+", type=Path, help="results directories (or: compare "
                                                      "BASE NEW)")
    p.add_argument("--out", type=Path, help="output directory (default: DIR/report)")
    a = p.parse_args(argv)
    results = [load(d) for d in a.dirs]
    _need_matplotlib()
    index = render(results, a.out or a.dirs[0] / "report")
    print(index)
    print(f"{PROG}: figures, index.md and runs.csv in {index.parent}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
