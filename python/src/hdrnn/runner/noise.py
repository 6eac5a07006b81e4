"""Is the machine quiet enough to time on? What is recorded before each run, and the
rule that flags a run a busy machine slowed down (docs/runner.md, "Noise")."""

from __future__ import annotations

import os
from pathlib import Path

CPUFREQ = Path("/sys/devices/system/cpu/cpu0/cpufreq")

# A one-thread trainer is on a CPU for all of its wall time but what it spends waiting:
# for the disk (data and libraries already in the page cache: none), for page faults
# served from memory (counted as sys time), and the runner's own resolution (it polls
# every 5 ms). Measured here on idle cores over 280 runs of every trainer, 0.01 to 3 s
# long: wall - (user + sys) was at most 10 ms (0.1 to 5 % of wall, the larger shares in
# the shortest runs). A run whose wall time exceeds its CPU time by more than 10 % of
# wall plus 50 ms waited for a CPU it did not get: another process had it. Multi-threaded
# runs (--threads > 1) can use more CPU than wall time; the rule then still catches a run
# that waited, but not one that merely got fewer cores than it asked for.
BUSY_FRACTION = 0.10
BUSY_SLACK_S = 0.05


def snapshot() -> dict:
    """Load average and the CPU frequency governor, where readable, before a run."""
    out: dict = {}
    try:
        out["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        out["loadavg"] = None
    for name in ("scaling_governor", "scaling_cur_freq"):
        try:
            out[name.removeprefix("scaling_")] = (CPUFREQ / name).read_text().strip()
        except OSError:
            out[name.removeprefix("scaling_")] = None
    return out


def waited_s(wall_s: float, user_s: float, sys_s: float) -> float:
    """Wall time not spent on a CPU (negative for a multi-threaded run)."""
    return wall_s - (user_s + sys_s)


def is_busy(wall_s: float, user_s: float, sys_s: float) -> bool:
    """Whether the run waited for a CPU beyond what a one-thread trainer ever does."""
    return waited_s(wall_s, user_s, sys_s) > BUSY_FRACTION * wall_s + BUSY_SLACK_S
