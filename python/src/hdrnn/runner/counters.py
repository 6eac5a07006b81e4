"""Hardware counters for hdrnn-run --perf: which events to count on this machine, the
perf stat command lines that count them, and their output read back.

The core's events use perf's generic names, which the kernel maps per CPU: on the
Cortex-A9, L1-dcache-loads and L1-dcache-load-misses are its PMU's L1 data cache
access (0x04) and refill (0x03) events, L1-icache-load-misses the L1 instruction refill
(0x01); on x86 the nearest equivalents by the same names. What the model of
docs/performance.md predicts per training sample is then measured on a board. The
i.MX6's L2, a PL310, has a PMU of its own (Linux's l2c_310, CONFIG_CACHE_L2X0_PMU);
it counts the whole system (perf cannot give it one task), so its events come from a
second, system-wide perf stat around the run: on a quiet board that is the run. An
event the machine cannot count is kept as null, with the reason perf gave.
"""

from __future__ import annotations

from pathlib import Path

CORE_EVENTS = ["cycles", "instructions", "branch-misses", "L1-dcache-loads",
               "L1-dcache-load-misses", "L1-icache-load-misses", "LLC-loads",
               "LLC-load-misses"]
# PL310 read and write requests to the L2, and those that hit (Linux's event names)
L2C_EVENTS = ["drreq", "drhit", "dwreq", "dwhit"]
L2C_PMU = "l2c_310"
EVENT_SOURCES = Path("/sys/bus/event_source/devices")


def l2c_events(sources: Path = EVENT_SOURCES) -> list[str]:
    """The PL310's events as perf names them, where its PMU is registered."""
    events = sources / L2C_PMU / "events"
    if not events.is_dir():
        return []
    return [f"{L2C_PMU}/{e}/" for e in L2C_EVENTS if (events / e).exists()]


def wrap(argv: list[str], core_out: Path, l2_out: Path | None,
         sources: Path = EVENT_SOURCES) -> list[str]:
    """argv counted by perf stat: the core's events for the process, and the L2's
    system-wide around it where the machine has them."""
    cmd = ["perf", "stat", "-x", ",", "-e", ",".join(CORE_EVENTS), "-o", str(core_out),
           "--"] + argv
    l2 = l2c_events(sources)
    if l2 and l2_out is not None:
        cmd = ["perf", "stat", "-a", "-x", ",", "-e", ",".join(l2), "-o", str(l2_out),
               "--"] + cmd
    return cmd


def parse(text: str) -> tuple[dict, dict]:
    """perf stat -x, output: ({event: count or None}, {event: why it is None})."""
    counts, missing = {}, {}
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) < 3 or line.startswith("#"):
            continue
        value, event = parts[0].strip(), parts[2].strip()
        if not event:
            continue
        try:  # counts, or msec for a software event such as task-clock
            counts[event] = int(value) if value.isdigit() else float(value)
        except ValueError:  # <not supported>, <not counted>
            counts[event] = None
            missing[event] = value.strip("<>") or "no value"
    return counts, missing


def per_sample(whole: dict, startup: dict, samples: int) -> dict:
    """Training's share per training sample: the run's counts less those of a 0-epoch
    run of the same command (start-up: loading, initialisation, one evaluation of
    nothing), divided by the samples trained. None where either count is missing."""
    out = {}
    for event, value in whole.items():
        base = startup.get(event)
        out[event] = round(max(0, value - base) / samples, 3) \
            if value is not None and base is not None and samples > 0 else None
    return out
