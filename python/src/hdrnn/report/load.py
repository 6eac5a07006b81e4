"""Read results directories for the report, through the schema (schema.py), which
checks and upgrades every file of every version hdrnn-run has written. Anything it can
write renders (all runs failed, some failed, stress only, --epochs 0, timeouts,
signals); anything malformed, or of an unknown schema, is one DataError naming the
file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import schema
from . import a9model
from ..contract import network_of
from ..errors import DataError
from ..files import read_json
from ..store import RUNS, SESSION


@dataclass
class Results:
    path: Path
    label: str
    session: dict
    runs: list[dict]
    agreement: dict | None = None
    stress: dict | None = None
    federation: dict | None = None   # hdrnn-run fed's federation.json

    def timing_runs(self) -> list[dict]:
        """The matrix's runs (not the agreement check's, not stress probes)."""
        return [r for r in self.runs if r.get("kind") == schema.Kind.BENCH]

    def ok_runs(self) -> list[dict]:
        return [r for r in self.timing_runs() if r["status"] == "ok"]

    def impls(self) -> list[str]:
        return sorted({r["impl"] for r in self.ok_runs()})

    def configs(self) -> list[tuple]:
        """(params, hidden tuple) sorted by parameter count."""
        return sorted({(r["params"], tuple(r["hidden"])) for r in self.ok_runs()})

    def network(self, hidden: tuple) -> str:
        """The label of the network with these hidden sizes on this session's data, such
        as 784-30-10 or 30-16-2."""
        run = next((r for r in self.runs if tuple(r.get("hidden") or ()) == tuple(hidden)),
                   {"hidden": list(hidden)})
        return network_of(run)

    def cell(self, impl: str, hidden: tuple) -> list[dict]:
        return [r for r in self.ok_runs() if r["impl"] == impl and tuple(r["hidden"]) == hidden]

    @property
    def modelled(self) -> bool:
        """Whether the runs have modelled Cortex-A9 cycles (QEMU's cache plugin)."""
        return any(r.get("a9_cycles") for r in self.ok_runs())

    @property
    def emulated(self) -> dict | None:
        emu = self.session.get("emulated")
        return emu if isinstance(emu, dict) else None

    @property
    def tagged_label(self) -> str:
        """The label, with what an emulated machine's times are wherever they appear."""
        emu = self.emulated
        return f"{self.label}, {emu.get('description', 'emulated')}" if emu else self.label


def _optional(path: Path, reader):
    return reader(path, read_json(path)) if path.exists() else None


def load(path: Path) -> Results:
    if not path.is_dir():
        raise DataError(f"{path}: not a results directory")
    session = schema.session_header(path / SESSION, read_json(path / SESSION))
    runs_dir = path / RUNS
    if not runs_dir.is_dir():
        raise DataError(f"{runs_dir}: missing (not a results directory)")
    runs = [schema.run_record(p, read_json(p)) for p in sorted(runs_dir.glob("*.json"))]
    for r in runs:  # the report's one derived figure: modelled Cortex-A9 cycles
        model = a9model.cycles(r.get("cache_per_sample") or {})
        if model:
            r["a9_cycles"] = model["cycles"]
    agreement = _optional(path / "agreement.json", schema.agreement)
    stress = _optional(path / "stress.json", schema.stress)
    federation = _optional(path / "federation.json", schema.federation)
    label = session.get("label") or session["machine"].get("machine") or path.name
    return Results(path, f"{label} ({path.name})", session, runs, agreement, stress,
                   federation)
