"""What hdrnn-run was asked to do, beside the plan: validated once, frozen, and stored
in session.json so that --resume continues with the same options."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class StressOptions:
    mem_limit: str          # as given, e.g. "256M"
    mem_limit_bytes: int
    start_hidden: int
    max_hidden: int

    def sizes(self) -> list[int]:
        """start, 2 start, 4 start, ... up to max (start >= 1)."""
        out, h = [], self.start_hidden
        while h <= self.max_hidden:
            out.append(h)
            h *= 2
        return out


@dataclass(frozen=True)
class Options:
    mode: str = "run"       # run: the matrix; stress: the memory search
    perf: bool = False      # perf counters requested (and available)
    threads: int = 1
    timeout: float = 3600.0
    quiet: bool = False
    check_seeds: int = 1    # seeds of the agreement check (the first repetitions')
    native_bin: str | None = None  # the only place native trainers are taken from
    stress: StressOptions | None = None

    def session_fields(self) -> dict:
        """The members session.json keeps (quiet is per invocation, not per session)."""
        out = {"mode": self.mode, "threads": self.threads, "timeout_s": self.timeout,
               "check_seeds": self.check_seeds, "native_bin": self.native_bin}
        if self.stress:
            out["stress"] = asdict(self.stress)
        return out

    @classmethod
    def from_session(cls, info: dict, quiet: bool) -> "Options":
        stress = info.get("stress")
        return cls(mode=info.get("mode", "run"),
                   perf=bool(info.get("perf", {}).get("available")),
                   threads=int(info.get("threads", 1)),
                   timeout=float(info.get("timeout_s", 3600.0)), quiet=quiet,
                   check_seeds=int(info.get("check_seeds", 1)),
                   native_bin=info.get("native_bin"),
                   stress=StressOptions(**stress) if stress else None)
