"""The memory stress search: per implementation, double the hidden size under a memory
limit until a run fails, and report the largest size that trained."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..schema import Kind
from ..store import ResultsDir
from .executor import run_all
from .impls import Impl
from .limits import MemoryLimit
from .matrix import spec_of
from .options import Options
from .presets import Plan
from .progress import Progress


def run_stress(opts: Options, plan: Plan, store: ResultsDir, available: list[Impl],
               data: Path) -> int:
    st = opts.stress
    sizes = st.sizes()
    summary = {}
    progress = Progress(len(available) * len(sizes), opts.quiet)
    for impl in available:
        largest, failure = None, None
        for h in sizes:
            spec = replace(spec_of(plan, opts, data, impl.name, [h], 1, Kind.STRESS,
                                   f"stress__{impl.name}__h{h}"),
                           mem_limit=st.mem_limit,
                           mem_limit_bytes=st.mem_limit_bytes)
            rec, = run_all([spec], {impl.name: impl}, store, progress)
            if rec["status"] == "ok":
                largest = h
                continue
            failure = {"hidden": h, "status": rec["status"], "failure": rec.get("failure"),
                       "exit_code": rec.get("exit_code"), "signal": rec.get("signal"),
                       "max_rss_kib": rec["max_rss_kib"],
                       "stderr_tail": (rec.get("stderr_tail") or "")[-500:]}
            break
        summary[impl.name] = {"largest_ok_hidden": largest, "failure": failure}
        progress.skip(len(sizes) - 1 - sizes.index(failure["hidden"] if failure
                                                   else sizes[-1]))
    progress.close()
    store.save("stress.json", "stress", {"mem_limit": st.mem_limit,
                                         "method": MemoryLimit(st.mem_limit_bytes).method,
                                         "impls": summary})
    return 0
