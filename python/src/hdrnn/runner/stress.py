"""The memory stress search: per implementation, double the hidden size under a memory
limit until a run fails, and report the largest size that trained."""

from __future__ import annotations

from pathlib import Path

from . import measure
from .impls import Impl
from .limits import MemoryLimit
from .options import Options
from .presets import Plan
from .progress import Progress
from .record import child_env, describe, record_of, trainer_argv
from .session import Session


def run_stress(opts: Options, plan: Plan, session: Session, available: list[Impl],
               data: Path) -> int:
    st = opts.stress
    limit = MemoryLimit(st.mem_limit_bytes)
    env = child_env(opts.threads)
    sizes = st.sizes()
    summary = {}
    progress = Progress(len(available) * len(sizes), opts.quiet)
    for impl in available:
        largest, failure = None, None
        for h in sizes:
            rid = f"stress__{impl.name}__h{h}"
            rec = session.load_run(rid)
            if rec is None:
                argv = trainer_argv(impl, plan, data, [h], plan.seed, opts.threads)
                m = measure.run(argv, timeout=opts.timeout, env=env, mem_limit=limit)
                rec = record_of(rid, impl, [h], 1, plan.seed, plan, data, argv, m, {},
                                {"kind": "stress", "mem_limit": st.mem_limit,
                                 "limit_method": limit.method})
                session.save_run(rec)
            progress.done(describe(rec))
            if rec["status"] == "ok":
                largest = h
                continue
            failure = {"hidden": h, "status": rec["status"], "failure": rec.get("failure"),
                       "exit_code": rec["exit_code"],
                       "signal": rec["signal"], "max_rss_kib": rec["max_rss_kib"],
                       "stderr_tail": (rec.get("stderr_tail") or "")[-500:]}
            break
        summary[impl.name] = {"largest_ok_hidden": largest, "failure": failure}
        progress.skip(len(sizes) - 1 - sizes.index(failure["hidden"] if failure
                                                   else sizes[-1]))
    progress.close()
    session.save("stress.json", {"mem_limit": st.mem_limit, "method": limit.method,
                                 "impls": summary})
    return 0
