"""Markdown tables of a report: what each figure is, docs/runner.md says."""

from __future__ import annotations

import itertools

from ..contract import CLASSES, INPUTS, flops_per_sample, network_of
from ..contract import STREAM_SUFFIX
from . import a9model
from .load import Results
from .stats import median, median_ci


def esc(value) -> str:
    """A table cell: names and labels come from files anyone may have written, so
    Markdown and HTML specials are escaped and the cell stays on one line."""
    text = " ".join(str(value).split())
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("[", "\\["),
                 ("]", "\\]"), ("`", "\\`"), ("$", "\\$")):
        text = text.replace(a, b)
    return text


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def with_ci(xs: list[float], fmt: str = "{:.3f}") -> str:
    """median [95 % interval]; a single run shows its value and n = 1."""
    ci = median_ci(xs)
    mid = fmt.format(median(xs))
    return mid if ci is None else f"{mid} [{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def _values(cell: list[dict], key: str, scale: float = 1.0) -> list[float]:
    return [r[key] * scale for r in cell if r.get(key) is not None]


def _rss_parts(cell: list[dict]) -> str:
    """Anonymous / file-backed peaks; files on tmpfs or an initramfs (a board's RAM
    root) count as shmem, so shmem is added to the file-backed part."""
    anon = _values(cell, "rss_anon_peak_kib", 1 / 1024)
    file = [((r.get("rss_file_peak_kib") or 0) + (r.get("rss_shmem_peak_kib") or 0)) / 1024
            for r in cell if r.get("rss_file_peak_kib") is not None]
    return f"{median(anon):.1f} / {median(file):.1f}" if anon and file else "-"


def _builds(cell: list[dict]) -> str:
    return ", ".join(sorted({esc(r.get("build") or "unknown") for r in cell}))


def training(res: Results) -> str:
    """The headline: training time (the trainer's own clock, sum of train_s) and peak
    memory (wait4), per network and implementation."""
    rows = []
    target = None
    for params, hidden in res.configs():
        for impl in res.impls():
            cell = res.cell(impl, hidden)
            if not cell:
                continue
            target = target or next((r.get("target_accuracy") for r in cell
                                     if r.get("target_accuracy")), None)
            reached = _values(cell, "time_to_target_s")
            ttt = (f"{median(reached):.3f} ({len(reached)}/{len(cell)})" if reached
                   else "not reached" if cell[0].get("target_accuracy") else "-")
            busy = sum(bool(r.get("busy")) for r in cell)
            rows.append([res.network(hidden), esc(impl), _builds(cell), len(cell),
                         with_ci(_values(cell, "train_s")), ttt,
                         with_ci(_values(cell, "max_rss_kib", 1 / 1024), "{:.1f}"),
                         _rss_parts(cell), busy or ""])
    if not rows:
        return "No successful run.\n"
    what = f"s to {target * 100:g} % (runs reaching it)" if target else "s to a target (none)"
    return table(["network", "impl", "build", "n", "training s, median [95 % CI]", what,
                  "peak RSS MiB [95 % CI]", "anon / file MiB", "busy runs"], rows)


def instructions(res: Results) -> str:
    """Emulated sessions under -icount shift=0: a guest second is 1e9 instructions."""
    rows = []
    for params, hidden in res.configs():
        for impl in res.impls():
            cell = [r for r in res.cell(impl, hidden) if r.get("train_s")]
            # epochs is optional in a record (None, or 0 for --epochs 0): such runs trained
            # no sample to count instructions for
            per = [r["train_s"] * 1e9 / (r["start"]["train"] * r["epochs"]) for r in cell
                   if isinstance(r.get("start"), dict) and r["start"].get("train")
                   and r.get("epochs")]
            if not per:
                continue
            batch = cell[0].get("batch") or 10
            flop = flops_per_sample(list(hidden), batch, cell[0].get("inputs") or INPUTS,
                                    cell[0].get("classes") or CLASSES)
            rows.append([res.network(hidden), esc(impl), f"{median(per):,.0f}",
                         f"{flop / median(per):.2f}", f"{flop:,.0f}",
                         f"{median(_values(cell, 'max_rss_kib', 1 / 1024)):.1f}"])
    if not rows:
        return "No training run.\n"
    return table(["network", "impl", "instructions per training sample",
                  "FLOP per instruction", "FLOP per sample", "peak RSS MiB (on the target)"],
                 rows)


THESIS_EPOCH = 60_000  # MNIST's training set: the thesis' epoch


def cache_model(res: Results) -> str:
    """Emulated runs under QEMU's cache plugin: its counts per training sample (the run
    less its one-batch baseline, the whole guest) and the modelled Cortex-A9 cycles."""
    sim = res.session.get("cache_sim") or {}
    rows = []
    for _, hidden in res.configs():
        for impl in res.impls():
            cell = [r["cache_per_sample"] for r in res.cell(impl, hidden)
                    if r.get("cache_per_sample")]
            models = [m for m in map(a9model.cycles, cell) if m]
            if not models:
                continue

            def med(key, src=cell):
                vals = [c[key] for c in src if c.get(key) is not None]
                return median(vals) if vals else None
            cyc = med("cycles", models)
            rows.append([res.network(hidden), esc(impl)] +
                        [f"{med(k):,.0f}" for k in ("instructions", "l1d_accesses",
                                                     "l1d_misses", "l1i_misses",
                                                     "l2_accesses", "l2_misses")] +
                        [f"{med('issue', models):,.0f}", f"{med('l2_stall', models):,.0f}",
                         f"{med('ddr_stall', models):,.0f}", f"{cyc:,.0f}",
                         f"{a9model.seconds_per_epoch(cyc, THESIS_EPOCH):.2f}"])
    if not rows:
        return "Not counted (make bench-target runs the target preset under the plugin).\n"
    head = (f"QEMU's cache plugin ({esc(sim.get('qemu_source', '?'))}, "
            f"{esc(' '.join(sim.get('args', [])))}): counts of the whole guest per training "
            "sample, the run less the same command on one batch. Modelled Cortex-A9 at "
            f"{a9model.CLOCK_HZ / 1e6:.0f} MHz (docs/performance.md): cycles per sample "
            "(issue, L2 stalls, DDR stalls) and seconds per 60,000-sample epoch.\n\n")
    return head + table(["network", "impl", "instructions", "L1D accesses", "L1D misses",
                         "L1I misses", "L2 accesses", "L2 misses", "issue", "L2 stall",
                         "DDR stall", "modelled cycles", "modelled s / 60k epoch"], rows)


# The counters as a table shows them (counters.CORE_EVENTS and the PL310's).
COUNTER_COLUMNS = [("instructions", "instructions"), ("cycles", "cycles"),
                   ("L1-dcache-loads", "L1D accesses"),
                   ("L1-dcache-load-misses", "L1D misses"),
                   ("L1-icache-load-misses", "L1I misses"), ("LLC-loads", "LLC accesses"),
                   ("LLC-load-misses", "LLC misses"), ("l2c_310/drreq/", "L2 reads"),
                   ("l2c_310/drhit/", "L2 read hits")]


def counters(res: Results) -> str:
    """hdrnn-run --perf, measured: per training sample, the run's counters less its
    one-batch baseline's, medians over the repetitions; and which counters the
    machine could not give, with perf's reason."""
    perf = res.session.get("perf") or {}
    if not perf.get("requested"):
        return "Not measured (hdrnn-run --perf).\n"
    if not perf.get("available"):
        return f"Not available here: {esc(perf.get('reason') or 'unknown')}.\n"
    rows, missing = [], {}
    for _, hidden in res.configs():
        for impl in res.impls():
            cell = [r.get("perf_per_sample") or {} for r in res.cell(impl, hidden)]
            for r in res.cell(impl, hidden):
                missing.update(r.get("perf_missing") or {})
            row = [res.network(hidden), esc(impl)]
            for event, _ in COUNTER_COLUMNS:
                vals = [c[event] for c in cell if c.get(event) is not None]
                row.append(f"{median(vals):,.0f}" if vals else "-")
            rows.append(row)
    out = table(["network", "impl", *(name for _, name in COUNTER_COLUMNS)], rows)
    if missing:
        out += "\nNot counted here: " + "; ".join(
            f"{esc(e)} ({esc(why)})" for e, why in sorted(missing.items())) + ".\n"
    return out


def accuracy(res: Results) -> str:
    """Final test accuracy across repetitions (each its own seed unless --same-seed)."""
    rows = []
    for params, hidden in res.configs():
        for impl in res.impls():
            cell = [r for r in res.cell(impl, hidden) if r.get("final_accuracy") is not None]
            if cell:
                acc = [r["final_accuracy"] * 100 for r in cell]
                seeds = len({r.get("seed") for r in cell})
                rows.append([res.network(hidden), esc(impl), len(cell), seeds,
                             f"{median(acc):.2f}", f"{min(acc):.2f}", f"{max(acc):.2f}"])
    if not rows:
        return "No run with an evaluated epoch.\n"
    return table(["network", "impl", "runs", "seeds", "median %", "min %", "max %"], rows)


def stream_mode(res: Results) -> str:
    """What --data-mode stream saves: each NAME-stream beside NAME on the same network,
    medians of peak RSS (wait4) and of training time (the trainer's clock)."""
    rows = []
    for params, hidden in res.configs():
        for impl in res.impls():
            if not impl.endswith(STREAM_SUFFIX):
                continue
            mem = res.cell(impl.removesuffix(STREAM_SUFFIX), hidden)
            st = res.cell(impl, hidden)
            rss_m, rss_s = _values(mem, "max_rss_kib", 1 / 1024), _values(st, "max_rss_kib",
                                                                           1 / 1024)
            if not (mem and st and rss_m and rss_s):
                continue
            saved = median(rss_m) - median(rss_s)
            share = f" ({100 * saved / median(rss_m):.0f} %)" if median(rss_m) else ""
            t_m, t_s = _values(mem, "train_s"), _values(st, "train_s")
            ratio = f"{median(t_s) / median(t_m):.2f}" if t_m and t_s and median(t_m) else "-"
            rows.append([res.network(hidden), esc(impl.removesuffix(STREAM_SUFFIX)),
                         f"{median(rss_m):.1f}", f"{median(rss_s):.1f}",
                         f"{saved:.1f}{share}", ratio])
    if not rows:
        return "No run with --data-mode stream beside its in-memory twin.\n"
    return table(["network", "trainer", "peak RSS MiB, memory", "peak RSS MiB, stream",
                  "saved MiB", "train time stream / memory"], rows)


def whole_process(res: Results) -> str:
    """The thesis' figures: the whole trainer process as GNU time sees it."""
    rows = []
    for params, hidden in res.configs():
        for impl in res.impls():
            # a resumed run's process is its last attempt only
            cell = [r for r in res.cell(impl, hidden) if not r.get("resumed")]
            if not cell:
                continue
            # CPU time only where both halves were measured
            cpu = [r["user_s"] + r["sys_s"] for r in cell
                   if r.get("user_s") is not None and r.get("sys_s") is not None]
            rows.append([res.network(hidden), params, esc(impl), len(cell),
                         with_ci(_values(cell, "wall_s")),
                         f"{median(_values(cell, 'startup_s')):.3f}"
                         if _values(cell, "startup_s") else "-",
                         f"{median(_values(cell, 'eval_s')):.3f}"
                         if _values(cell, "eval_s") else "-",
                         f"{median(cpu):.3f}" if cpu else "-"])
    if not rows:
        return "No successful run.\n"
    return table(["network", "params", "impl", "n", "wall s, median [95 % CI]",
                  "start-up s", "evaluation s", "user + sys s"], rows)


def matrix(res: Results, key: str) -> str:
    """Per network, implementation x implementation: median(row) / median(column)."""
    out = []
    for params, hidden in res.configs():
        meds = {impl: median(_values(res.cell(impl, hidden), key))
                for impl in res.impls() if _values(res.cell(impl, hidden), key)}
        if len(meds) < 2:
            continue
        names = sorted(meds, key=meds.get)
        rows = [[f"**{esc(a)}**"] + ["" if a == b else f"{meds[a] / meds[b]:.2f}x"
                                     if meds[b] else "-" for b in names] for a in names]
        out.append(f"{res.network(hidden)} (fastest or smallest first)\n\n" +
                   table([""] + [esc(n) for n in names], rows))
    return "\n".join(out) if out else "Fewer than two implementations ran.\n"


def agreement(res: Results) -> str:
    a = res.agreement
    if not a or not a.get("rows"):
        return "Not run in this session (`hdrnn-run --check`).\n"
    rows = []
    for r in a["rows"]:
        diff, tol = r.get("max_abs"), r.get("tolerance")
        rows.append([network_of(r), esc(r.get("impl")),
                     esc(r.get("seed")), f"{diff:.3g}" if isinstance(diff, (int, float))
                     else esc(r.get("error", "-")), "-" if tol is None else f"{tol:g}",
                     "ok" if r.get("ok") else "**FAILED**"])
    bad = sum(not r.get("ok") for r in a["rows"])
    head = (f"Weights after {a.get('epochs', 1)} epoch on {a.get('train', '?')} samples, "
            f"same seed, against `{esc(a.get('reference'))}`: "
            + ("all agree.\n\n" if not bad else f"**{bad} disagree**.\n\n"))
    return head + table(["network", "impl", "seed", "max abs diff", "tolerance", "verdict"],
                        rows)


def stress(res: Results) -> str:
    if not res.stress:
        return "No stress run in this session.\n"
    rows = []
    for impl, s in sorted(res.stress["impls"].items()):
        s = s if isinstance(s, dict) else {}
        f = s.get("failure") or {}
        f = f if isinstance(f, dict) else {}
        how = (f"{f.get('status')} ({f.get('signal') or 'exit ' + str(f.get('exit_code'))}) "
               f"at hidden {f.get('hidden')}: {(str(f.get('stderr_tail') or '')).strip()[-80:]}"
               if f else "no failure up to the largest size tried")
        rows.append([esc(impl), esc(s.get("largest_ok_hidden") or "none"), esc(how)])
    return (f"Memory limit {esc(res.stress['mem_limit'])} "
            f"({esc(res.stress.get('method'))}).\n\n" +
            table(["impl", "largest hidden size trained", "failure"], rows))


def failed(res: Results) -> str:
    bad = [r for r in res.runs if r["status"] != "ok" and r.get("kind") != "stress"]
    if not bad:
        return "None.\n"
    rows = []
    for r in bad:
        tail = (str(r.get("stderr_tail") or "")).strip().splitlines()[-1:] or [""]
        rows.append([esc(r["id"]), r["status"], esc(r.get("failure") or "-"),
                     esc(r.get("signal") or r.get("exit_code")), esc(tail[0][:100])])
    return table(["run", "status", "cause", "exit", "stderr"], rows)


def machine(res: Results) -> str:
    m = res.session["machine"]
    keys = ["cpu_model", "machine", "cores", "mem_total_kib", "kernel", "libc", "python",
            "numpy", "torch", "hdrnn", "git_commit", "utc"]
    rows = [[k, esc(m.get(k))] for k in keys]
    rows.append(["neon", esc(m.get("neon"))])
    rows.append(["rss measurement", esc(res.session.get("rss_method"))])
    trainers = res.session.get("trainers")
    for impl, t in sorted((trainers if isinstance(trainers, dict) else {}).items()):
        desc = ", ".join(f"{k} {v}" for k, v in t.items() if k not in ("argv", "impl")) \
            if isinstance(t, dict) else t
        rows.append([f"trainer {esc(impl)}", esc(desc) or "-"])
    skipped = res.session.get("skipped")
    for impl, why in sorted((skipped if isinstance(skipped, dict) else {}).items()):
        rows.append([f"skipped {esc(impl)}", esc(why)])
    return table(["", esc(res.label)], rows)


def side_by_side(results: list[Results], key: str, scale: float = 1.0) -> str:
    header = ["network", "impl"] + [esc(r.tagged_label) for r in results]
    if len(results) == 2:
        header.append("ratio 2nd / 1st")
    configs = sorted(set().union(*[set(r.configs()) for r in results]))
    impls = sorted(set().union(*[set(r.impls()) for r in results]))
    rows = []
    for (params, hidden), impl in itertools.product(configs, impls):
        vals = []
        for res in results:
            xs = _values(res.cell(impl, hidden), key, scale)
            vals.append(median(xs) if xs else None)
        if all(v is None for v in vals):
            continue
        row = [results[0].network(hidden), esc(impl)] + \
            [f"{v:.3f}" if v is not None else "-" for v in vals]
        if len(results) == 2:
            row.append(f"{vals[1] / vals[0]:.2f}" if None not in vals and vals[0] else "-")
        rows.append(row)
    return table(header, rows) if rows else "No configuration ran in any directory.\n"


def _per_sample(res: Results, impl: str, hidden: tuple) -> tuple[str, dict] | None:
    """("measured", perf's figures) or ("modelled", the plugin's and the model's) per
    training sample, medians over the repetitions; None where neither was counted."""
    cell = res.cell(impl, hidden)
    modelled = [r for r in cell if r.get("a9_cycles")]  # load.py's model of each run
    if modelled:
        return "modelled", {
            "instructions": median([r["cache_per_sample"]["instructions"] for r in modelled]),
            "L1D misses": median([r["cache_per_sample"]["l1d_misses"] for r in modelled]),
            "cycles": median([r["a9_cycles"] for r in modelled])}
    perf = [r["perf_per_sample"] for r in cell if r.get("perf_per_sample")]
    if perf:
        out = {}
        for name, event in (("instructions", "instructions"), ("cycles", "cycles"),
                            ("L1D misses", "L1-dcache-load-misses")):
            vals = [p[event] for p in perf if p.get(event) is not None]
            out[name] = median(vals) if vals else None
        return "measured", out
    return None


def measured_vs_modelled(results: list[Results]) -> str:
    """Per training sample: perf's counts on a board beside the plugin's counts and the
    modelled Cortex-A9 cycles of an emulated run, session by session."""
    configs = sorted(set().union(*[set(r.configs()) for r in results]))
    impls = sorted(set().union(*[set(r.impls()) for r in results]))
    rows, kinds = [], set()
    for (params, hidden), impl in itertools.product(configs, impls):
        cells = [_per_sample(res, impl, hidden) for res in results]
        if sum(c is not None for c in cells) < 1:
            continue
        row = [results[0].network(hidden), esc(impl)]
        for c in cells:
            if c is None:
                row.append("-")
                continue
            kinds.add(c[0])
            row.append(" / ".join("-" if c[1].get(k) is None else f"{c[1][k]:,.0f}"
                                  for k in ("instructions", "L1D misses", "cycles"))
                       + f" ({c[0]})")
        rows.append(row)
    if not rows:
        return ("No session has counters (hdrnn-run --perf on a board, make bench-target "
                "for the modelled Cortex-A9).\n")
    note = "" if kinds == {"measured", "modelled"} else (
        "Only " + "".join(kinds) + " figures here: a board session with --perf and an "
        "emulated one under the cache plugin put the two side by side.\n\n")
    return note + table(["network", "impl"] + [
        f"{esc(r.tagged_label)}: instructions / L1D misses / cycles" for r in results], rows)
