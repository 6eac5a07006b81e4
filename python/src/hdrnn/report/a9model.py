"""Modelled Cortex-A9 cycles per training sample, from the counts of QEMU's cache plugin
(hdrnn/cachesim.py). docs/performance.md gives every constant's source and what the
model leaves out; every figure it makes is labelled "modelled Cortex-A9".

    issue  = max(instructions / 2, NEON cycles, other instructions / INT_IPC)
    L2     = L1 misses served by the L2 (L1D + L1I misses - L2 misses)
    stream = min(L2, PLD instructions)      the misses software prefetch covers
    cycles = max(issue, stream * L2_LINE)   prefetched lines stream beside the work
           + (L2 - stream) * L2_LATENCY     the other misses stall the in-order core
           + L2 misses * DDR_LATENCY_NS * CLOCK_HZ / 1e9

NEON cycles are the plugin's issue cycles of Advanced SIMD data-processing and
load/store instructions plus one per VFP instruction: the NEON unit runs behind its own
instruction queue beside the integer core, which decodes at most two instructions a
cycle.
"""

from __future__ import annotations

CLOCK_HZ = 996e6       # i.MX6Q's top operating point (NXP IMX6DQCEC, the SABRE SD's)
INT_IPC = 1.0          # integer instructions per cycle (see docs/performance.md)
L2_LATENCY = 19        # cycles an L1 miss that hits the L2 adds (7-cpu.com, Cortex-A9)
L2_LINE = 8.7          # cycles per 32-byte line streamed from L2 to L1 (7-cpu.com)
DDR_LATENCY_NS = 110   # ns an L2 miss adds, DDR3 (7-cpu.com, Cortex-A9 with DDR3)

NEEDED = ("instructions", "l1i_misses", "l1d_misses", "l2_misses", "neon_dp",
          "neon_dp_cycles", "neon_ls", "neon_ls_cycles", "vfp", "pld")


def cycles(c: dict) -> dict | None:
    """{'issue', 'l2_stall', 'ddr_stall', 'cycles'} per sample for the plugin's counts
    per sample c, or None when a count is missing."""
    if any(c.get(k) is None for k in NEEDED):
        return None
    neon = c["neon_dp_cycles"] + c["neon_ls_cycles"] + c["vfp"]
    other = max(0.0, c["instructions"] - c["neon_dp"] - c["neon_ls"] - c["vfp"])
    issue = max(c["instructions"] / 2, neon, other / INT_IPC)
    from_l2 = max(0.0, c["l1d_misses"] + c["l1i_misses"] - c["l2_misses"])
    stream = min(from_l2, c["pld"])
    busy = max(issue, stream * L2_LINE)
    l2_stall = (busy - issue) + (from_l2 - stream) * L2_LATENCY
    ddr_stall = c["l2_misses"] * DDR_LATENCY_NS * CLOCK_HZ / 1e9
    return {"issue": issue, "l2_stall": l2_stall, "ddr_stall": ddr_stall,
            "cycles": issue + l2_stall + ddr_stall}


def seconds_per_epoch(per_sample_cycles: float, samples: int) -> float:
    return per_sample_cycles * samples / CLOCK_HZ
