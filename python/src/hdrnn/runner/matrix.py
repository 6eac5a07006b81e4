"""The benchmark matrix: every implementation at every size, repeated, each run a
measured process whose record is saved before the next starts (so an interrupted
session loses at most the run in flight). Before it: warm-up runs, then the agreement
check."""

from __future__ import annotations

import random
from pathlib import Path

from . import agreement, measure, noise
from .impls import Impl
from .inflight import CHECKPOINTS, InFlight, joined
from .options import Options
from .presets import Plan
from .progress import Progress, say
from .record import child_env, describe, record_of, run_id, trainer_argv
from .session import Session

PROG = "hdrnn-run"


def jobs(plan: Plan, available: list[Impl]) -> list[tuple[Impl, list[int], int]]:
    """(impl, hidden, rep) in the plan's order:
    - interleaved: repetition, then size, then implementation; every implementation
      runs once before any runs again, so drift (thermal, other load) is shared;
    - grouped: implementation, then size, then repetition (the thesis' order);
    - random: interleaved, shuffled with the plan's seed (reproducible)."""
    reps = range(1, plan.reps + 1)
    if plan.order == "grouped":
        return [(i, h, r) for i in available for h in plan.hidden for r in reps]
    out = [(i, h, r) for r in reps for h in plan.hidden for i in available]
    if plan.order == "random":
        random.Random(plan.seed).shuffle(out)
    return out


def warm_up(plan: Plan, available: list[Impl], data: Path, opts: Options) -> None:
    """plan.warmup unrecorded runs per implementation at the first size: they bring data
    and libraries into the page cache and the CPU out of its idle clock."""
    env = child_env(opts.threads)
    for n in range(plan.warmup):
        for impl in available:
            argv = trainer_argv(impl, plan, data, plan.hidden[0], plan.seed_of(1),
                                opts.threads)
            m = measure.run(argv, timeout=opts.timeout, env=env)
            say(f"{PROG}: warm-up {n + 1}/{plan.warmup} {impl.name}: {m.wall_s:.2f} s"
                + ("" if m.exit_code == 0 else " (failed)"), opts.quiet)


def _attempt(rid, impl, hidden, rep, seed, plan, data, opts, env, flight, point, earlier,
             resumed):
    """One run measured as a process, resumed from flight's checkpoint when point is
    set (the earlier attempts' epochs joined in front): (measurement, record)."""
    argv = trainer_argv(impl, plan, data, hidden, seed, opts.threads,
                        flight.checkpoint if point else None)
    if flight:
        argv += flight.trainer_args(plan.checkpoint_every)
    before = noise.snapshot()
    m = measure.run(argv, timeout=opts.timeout, env=env, perf=opts.perf,
                    stdout_path=flight.stdout if flight else None)
    if point:
        m.events = joined(m.events, earlier)
    return m, record_of(rid, impl, hidden, rep, seed, plan, data, argv, m, before,
                        resumed=resumed)


def run_matrix(opts: Options, plan: Plan, session: Session, available: list[Impl],
               data: Path) -> int:
    """0 when every run of the session succeeded and the implementations agree, else 1."""
    todo = [(i, h, r) for i, h, r in jobs(plan, available)
            if not session.done(run_id(i.name, h, r))]
    total = len(available) * len(plan.hidden) * plan.reps
    if len(todo) < total:
        say(f"{PROG}: resuming: {total - len(todo)} of {total} runs already done", opts.quiet)
    warm_up(plan, available, data, opts)
    agreed = True
    if plan.check:
        result = agreement.run_check(plan, session, available, data, opts.threads,
                                     opts.timeout, opts.check_seeds, opts.quiet)
        agreement.note_failures(result)
        agreed = not result["failures"]
    progress = Progress(len(todo), opts.quiet)
    env = child_env(opts.threads)
    busy = 0
    for impl, hidden, rep in todo:
        seed = plan.seed_of(rep)
        rid = run_id(impl.name, hidden, rep)
        flight = earlier = resumed = point = None
        if plan.checkpoint_every is not None:
            flight = InFlight(session.root / CHECKPOINTS, rid)
            flight.root.mkdir(exist_ok=True)
            flight.end_orphans()
            point = flight.resume_point()
            if point is None and flight.checkpoint.exists():  # damaged (written atomically)
                progress.warn(f"{PROG}: {rid}: its checkpoint cannot be read; running it "
                              "again from the start")
                flight.clear()
        if point:
            earlier, resumed = flight.collect(point[0])
            if [e.get("epoch") for e in earlier] != list(range(1, point[0])):
                progress.warn(f"{PROG}: {rid}: the epochs before its checkpoint are not all "
                              "on record; running it again from the start")
                flight.clear()
                point = None
        if point:
            resumed.append({"epoch": point[0], "batch": point[1]})
            flight.save_earlier(earlier, resumed)
            say(f"{PROG}: {rid}: resuming from its checkpoint (epoch {point[0]}, batch "
                f"{point[1]})", opts.quiet)
        m, rec = _attempt(rid, impl, hidden, rep, seed, plan, data, opts, env, flight,
                          point, earlier, resumed)
        if point and rec["status"] != "ok":  # a checkpoint this trainer refuses, say
            progress.warn(f"{PROG}: {rid}: resuming failed ({rec.get('failure')}: "
                          f"{(rec.get('stderr_tail') or '').strip()[-160:]}); running it "
                          "again from the start")
            flight.clear()
            m, rec = _attempt(rid, impl, hidden, rep, seed, plan, data, opts, env, flight,
                              None, None, None)
        session.save_run(rec)
        if flight:
            flight.clear()
        busy += bool(rec["busy"])
        progress.done(describe(rec))
        if rec["busy"]:
            progress.warn(f"{PROG}: warning: {rec['id']} waited "
                          f"{noise.waited_s(m.wall_s, m.user_s, m.sys_s):.2f} s for a CPU "
                          f"(load {rec['before'].get('loadavg')}): its times are not to be "
                          "trusted")
    progress.close()
    if busy:
        say(f"{PROG}: warning: {busy} run(s) ran on a busy machine; the report marks them")
    records = session.records()
    ok = all(r.get("status") == "ok" for r in records)
    return 0 if ok and agreed else 1
