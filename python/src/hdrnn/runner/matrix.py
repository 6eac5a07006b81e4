"""The benchmark matrix: every implementation at every size, repeated, each run a
measured process whose record is saved before the next starts (so an interrupted
session loses at most the run in flight)."""

from __future__ import annotations

from pathlib import Path

from .. import contract
from . import agreement, measure
from .impls import Impl
from .options import Options
from .presets import Plan
from .progress import Progress
from .record import child_env, describe, record_of, run_id, trainer_argv
from .session import Session

PROG = "hdrnn-run"


def run_matrix(opts: Options, plan: Plan, session: Session, available: list[Impl],
               data: Path) -> int:
    """0 when every run of the session succeeded, else 1."""
    jobs = []
    reps = 1 if opts.check else plan.reps
    for rep in range(1, reps + 1):
        for hidden in plan.hidden:
            for impl in available:
                rid = run_id(impl.name, hidden, rep)
                if not session.done(rid):
                    jobs.append((rid, impl, hidden, rep))
    total = len(available) * len(plan.hidden) * reps
    progress = Progress(len(jobs), opts.quiet)
    if len(jobs) < total:
        progress.note(f"{PROG}: resuming: {total - len(jobs)} of {total} runs already done")
    env = child_env(opts.threads)
    for rid, impl, hidden, rep in jobs:
        argv = impl.argv + trainer_argv(plan, data, hidden)
        extra = {}
        if opts.check:
            w = session.weights_dir / f"{impl.name}__h{contract.hidden_tag(hidden)}.safetensors"
            argv += ["--weights-out", str(w)]
            extra["weights"] = str(w.relative_to(session.root))
        m = measure.run(argv, timeout=opts.timeout, env=env, perf=opts.perf)
        rec = record_of(rid, impl.name, hidden, rep, plan, data, argv, m, extra)
        session.save_run(rec)
        progress.done(describe(rec))
    progress.close()
    if opts.check:
        agreement.write_agreement(session, plan)
    records = session.records()
    acc = agreement.accuracy_check(records)
    session.save("accuracy.json", acc)
    for row in acc["disagreements"]:
        progress.note(f"{PROG}: note: final accuracies at h={contract.hidden_tag(row['hidden'])}"
                      f" rep {row['rep']} spread {row['spread'] * 100:.1f} pp (more than "
                      f"{acc['tolerance'] * 100:g} pp): {row['accuracies']}")
    return 1 if any(r.get("status") != "ok" for r in records) else 0
