"""The benchmark matrix: every implementation at every size, repeated, each run a spec
for the executor, whose record is saved before the next starts (so an interrupted
session loses at most the run in flight). Before it: warm-up runs, then the agreement
check."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from .. import contract
from ..schema import Kind, RunSpec
from ..store import ResultsDir
from . import agreement
from .executor import execute, is_done, run_all
from .impls import Impl
from .options import Options
from .presets import Plan
from .progress import Progress, say

PROG = "hdrnn-run"


def run_id(impl: str, hidden: list[int], rep: int) -> str:
    return f"{impl}__h{contract.hidden_tag(hidden)}__r{rep}"


def spec_of(plan: Plan, opts: Options, data: Path, impl: str, hidden: list[int], rep: int,
            kind: Kind = Kind.BENCH, rid: str | None = None) -> RunSpec:
    """The spec of one run of the plan (inputs and classes: the data's, set on the plan
    when the data was read)."""
    return RunSpec(id=rid or run_id(impl, hidden, rep), kind=kind, impl=impl,
                   hidden=tuple(hidden), rep=rep, seed=plan.seed_of(rep),
                   epochs=plan.epochs, batch=plan.batch, lr=plan.lr, data=str(data),
                   dataset=plan.dataset, inputs=plan.inputs or contract.INPUTS,
                   classes=plan.classes or contract.CLASSES, train_limit=plan.train_limit,
                   test_limit=plan.test_limit, weights_in=plan.weights_in,
                   checkpoint_every=plan.checkpoint_every if kind == Kind.BENCH else None,
                   target_accuracy=plan.target_accuracy,
                   stop_at_target=plan.stop_at_target and kind == Kind.BENCH,
                   patience=plan.patience if kind == Kind.BENCH else None,
                   timeout_s=opts.timeout,
                   threads=opts.threads, perf=opts.perf and kind == Kind.BENCH,
                   cache_marks=opts.cache_marks and kind == Kind.BENCH)


def check_spec(plan: Plan, opts: Options, data: Path, store: ResultsDir, impl: str,
               hidden: list[int], k: int) -> RunSpec:
    """A run of the agreement check: one epoch of 50 batches with seed k's weights
    written to the store."""
    rid = agreement.check_id(impl, hidden, k)
    short = replace(plan, epochs=1, train_limit=agreement.CHECK_TRAIN,
                    test_limit=agreement.CHECK_TEST)
    return replace(spec_of(short, opts, data, impl, hidden, k, Kind.CHECK, rid),
                   weights_out=str(store.weights_dir / f"{rid}.safetensors"))


def jobs(plan: Plan, names: list[str]) -> list[tuple[str, list[int], int]]:
    """(impl, hidden, rep) in the plan's order:
    - interleaved: repetition, then size, then implementation; every implementation
      runs once before any runs again, so drift (thermal, other load) is shared;
    - grouped: implementation, then size, then repetition (the thesis' order);
    - random: interleaved, shuffled with the plan's seed (reproducible)."""
    reps = range(1, plan.reps + 1)
    if plan.order == "grouped":
        return [(i, h, r) for i in names for h in plan.hidden for r in reps]
    out = [(i, h, r) for r in reps for h in plan.hidden for i in names]
    if plan.order == "random":
        random.Random(plan.seed).shuffle(out)
    return out


def warm_up(plan: Plan, opts: Options, data: Path, available: list[Impl]) -> None:
    """plan.warmup unrecorded runs per implementation at the first size: they bring data
    and libraries into the page cache and the CPU out of its idle clock."""
    for n in range(plan.warmup):
        for impl in available:
            spec = spec_of(plan, opts, data, impl.name, plan.hidden[0], 1, Kind.WARMUP,
                           f"warmup__{impl.name}")
            rec = execute(spec, impl)
            say(f"{PROG}: warm-up {n + 1}/{plan.warmup} {impl.name}: {rec['wall_s']:.2f} s"
                + ("" if rec["status"] == "ok" else " (failed)"), opts.quiet)


def run_matrix(opts: Options, plan: Plan, store: ResultsDir, available: list[Impl],
               data: Path) -> int:
    """0 when every run of the session succeeded and the implementations agree, else 1."""
    specs = [spec_of(plan, opts, data, i, h, r)
             for i, h, r in jobs(plan, [i.name for i in available])]
    todo = [s for s in specs if not is_done(store.load_run(s.id))]
    if len(todo) < len(specs):
        say(f"{PROG}: resuming: {len(specs) - len(todo)} of {len(specs)} runs already done",
            opts.quiet)
    warm_up(plan, opts, data, available)
    agreed = True
    if plan.check:
        check_specs = [check_spec(plan, opts, data, store, impl.name, h, k)
                       for k in range(1, opts.check_seeds + 1) for h in plan.hidden
                       for impl in available]
        impls = {i.name: i for i in available}
        progress = Progress(len(check_specs), opts.quiet)
        records = run_all(check_specs, impls, store, progress, "check ")
        progress.close()
        result = agreement.verdicts(store, records, [i.name for i in available])
        store.save("agreement.json", "agreement", result)
        agreement.note_failures(result)
        agreed = not result["failures"]
    progress = Progress(len(todo), opts.quiet)
    records = run_all(todo, {i.name: i for i in available}, store, progress)
    progress.close()
    busy = sum(bool(r.get("busy")) for r in records)
    if busy:
        say(f"{PROG}: warning: {busy} run(s) ran on a busy machine; the report marks them")
    ok = all(r.get("status") == "ok" for r in store.records()
             if r.get("kind") != Kind.CHECK)
    return 0 if ok and agreed else 1
