"""Counts of QEMU's cache plugin for runs on the emulated Cortex-A9 (make bench-target).

In the guest, hdrnn-run --cache-marks starts each run and its one-batch baseline under
hdrnn-mark with a fresh tag (new_tag) and records {boot, run, baseline} in the run's
record. The plugin (tools/qemu-cache/hdrnn_cache.c) writes one line per mark to a file
on the host: the tag (2 TAG before a command, 2 TAG + 1 after it) and the running
totals of the simulated caches and of the instruction classes. On the host, merge()
turns a session's marks into each record's `cache` (what the whole guest did while
the run ran), `cache_baseline` and `cache_per_sample`, and writes the records back.
A run whose tags are missing or appear twice in the log keeps no counts, and merge
says why.
"""

from __future__ import annotations

import random
from pathlib import Path

from .errors import DataError
from .runner.counters import per_sample

# The plugin's columns after the tag (l1i_accesses: one fetch per instruction executed)
COLUMNS = ("instructions", "l1i_misses", "l1d_accesses", "l1d_misses", "l2_accesses",
           "l2_misses", "neon_dp", "neon_dp_cycles", "neon_ls", "neon_ls_cycles", "vfp",
           "pld")
MAX_TAG = (1 << 23) - 1  # hdrnn-mark's: marks 2 TAG and 2 TAG + 1 fit the plugin's 24 bits
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
# Two identical runs in one boot give counts per training sample this close: within
# TOLERANCE of the count, or of NOISE_FLOOR times the instructions for a count that
# small (a few L1I misses). The plugin counts the whole guest: its background work
# (timer interrupts, the kernel) differs from run to run, and so do the physical pages
# the trainer's buffers land in, which the caches are indexed by (docs/performance.md
# gives the measured spread; tests/target/test_icount.py checks it).
TOLERANCE = 0.03
NOISE_FLOOR = 0.001


def agree(a: dict, b: dict) -> list[str]:
    """The counts per sample on which two runs differ beyond the tolerance."""
    floor = NOISE_FLOOR * max(a["instructions"], b["instructions"])
    return [k for k in COLUMNS
            if abs(a[k] - b[k]) > max(TOLERANCE * max(a[k], b[k]), floor)]

# The i.MX6Q's caches as cache.c takes them (ARM DDI 0388 and the PL310's TRM, DDI
# 0246, as NXP configures it: 1 MiB, 16 ways): L1D and L1I 32 KiB, 4-way, 32-byte
# lines; the unified L2 1 MiB, 16-way, 32-byte lines. cache.c replaces the least
# recently used line (the A9's L1 is pseudo-random, the PL310's pseudo-random or
# round-robin: see docs/performance.md on what that moves).
A9_ARGS = ("dcachesize=32768", "dassoc=4", "dblksize=32", "icachesize=32768", "iassoc=4",
           "iblksize=32", "l2cachesize=1048576", "l2assoc=16", "l2blksize=32")

_rng = random.SystemRandom()


def new_tag() -> int:
    """A tag for one run: random, so that runners of one boot do not share one; the
    host refuses a tag that appears twice."""
    return _rng.randrange(MAX_TAG + 1)


def boot_id() -> str | None:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return None


def plugin_args(marks: Path) -> str:
    """The -plugin argument for QEMU: the plugin with the A9's geometry."""
    return ",".join([f"marks={marks}", *A9_ARGS])


def parse_marks(text: str) -> dict[int, list[dict]]:
    """{mark: [counts, ...]} of the plugin's lines (a mark seen twice has two)."""
    out: dict[int, list[dict]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 1 + len(COLUMNS) or not all(p.isdigit() for p in parts):
            raise DataError(f"marks line {n}: not the plugin's format: {line[:80]!r}")
        out.setdefault(int(parts[0]), []).append(dict(zip(COLUMNS, map(int, parts[1:]))))
    return out


def between(marks: dict[int, list[dict]], tag: int) -> tuple[dict | None, str]:
    """The counts from mark 2 tag to mark 2 tag + 1, or None and why not."""
    begin, end = marks.get(2 * tag, []), marks.get(2 * tag + 1, [])
    if len(begin) != 1 or len(end) != 1:
        return None, (f"tag {tag}: its marks appear {len(begin)} and {len(end)} times "
                      "(expected once each)")
    return {k: end[0][k] - begin[0][k] for k in COLUMNS}, ""


def merge(store, info: dict, text: str, boot: str, settings: dict) -> tuple[int, list[str]]:
    """Write the plugin's counts into every run record of the store that was marked in
    this boot; session.json records the plugin's settings. (records merged, problems)."""
    marks = parse_marks(text)
    merged, problems = 0, []
    for rec in store.records():
        tags = rec.get("cache_marks")
        if not isinstance(tags, dict) or tags.get("boot") != boot:
            continue
        run, why = between(marks, tags.get("run", -1))
        if run is None:
            problems.append(f"{rec['id']}: {why}")
            continue
        rec["cache"] = run
        if "baseline" in tags:
            base, why = between(marks, tags["baseline"])
            if base is None:
                problems.append(f"{rec['id']} baseline: {why}")
            else:
                rec["cache_baseline"] = base
                rec["cache_per_sample"] = per_sample(run, base, int(tags.get("samples", 0)))
        store.save_run(rec)
        merged += 1
    store.save_session({**info, "cache_sim": settings})
    return merged, problems
