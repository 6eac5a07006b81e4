"""The run in flight, resumable (Plan.checkpoint_every set: the thesis preset, or
--checkpoint-every N). Each run of the matrix writes DIR/checkpoints/ID.safetensors
(the trainer's power-loss-safe checkpoint, docs/contract.md) and its stdout to
DIR/checkpoints/ID.stdout as it goes. After a crash, a power cut or a kill, --resume
continues that run from its checkpoint instead of starting it again: the epoch events
of the earlier attempts are kept (ID.earlier.json) and joined with the new ones, so
the record has every epoch's accuracy. Its times cover only the last attempt, so the
record says it was resumed and leaves them out (docs/runner.md)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .. import contract, safetensors_io, schema
from ..errors import DataError
from ..files import read_json, write_json

CHECKPOINTS = "checkpoints"


@dataclass
class InFlight:
    root: Path  # the session's checkpoints directory
    rid: str

    @property
    def checkpoint(self) -> Path:
        return self.root / f"{self.rid}.safetensors"

    @property
    def stdout(self) -> Path:
        return self.root / f"{self.rid}.stdout"

    @property
    def earlier(self) -> Path:
        return self.root / f"{self.rid}.earlier.json"

    def trainer_args(self, every: int) -> list[str]:
        return ["--checkpoint", str(self.checkpoint)] + \
            (["--checkpoint-every", str(every)] if every else [])

    def resume_point(self) -> tuple[int, int] | None:
        """(next epoch, next batch) of the checkpoint left by an interrupted attempt, or
        None (no checkpoint, or one that cannot be read: the run starts over)."""
        if not self.checkpoint.is_file():
            return None
        try:
            _, meta = safetensors_io.read(self.checkpoint)
            return int(meta["next_epoch"]), int(meta["next_batch"])
        except (DataError, KeyError, ValueError):
            return None

    def prepare(self, progress) -> tuple[tuple[int, int], list[dict], list[dict]] | None:
        """Where an interrupted attempt left this run: ((next epoch, next batch), the
        earlier attempts' epochs, where each resume began), saved for the attempt about
        to start; or None to run it from the start (progress.warn says why when a
        checkpoint was there but cannot serve)."""
        point = self.resume_point()
        if point is None:
            if self.checkpoint.exists():  # damaged (it is written atomically)
                progress.warn(f"hdrnn-run: {self.rid}: its checkpoint cannot be read; "
                              "running it again from the start")
            self.clear()
            return None
        earlier, resumed = self.collect(point[0])
        if [e.get("epoch") for e in earlier] != list(range(1, point[0])):
            progress.warn(f"hdrnn-run: {self.rid}: the epochs before its checkpoint are "
                          "not all on record; running it again from the start")
            self.clear()
            return None
        resumed.append({"epoch": point[0], "batch": point[1]})
        self.save_earlier(earlier, resumed)
        progress.note(f"hdrnn-run: {self.rid}: resuming from its checkpoint (epoch "
                      f"{point[0]}, batch {point[1]})")
        return point, earlier, resumed

    def end_orphans(self) -> None:
        """A runner killed with SIGKILL leaves its trainer running (it has its own
        session): end any process still writing this checkpoint before resuming it."""
        mark = str(self.checkpoint).encode()
        victims = []
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if mark in f.read().split(b"\0"):
                        victims.append(int(pid))
            except OSError:
                continue
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 10
        while victims and time.monotonic() < deadline:
            victims = [p for p in victims if _alive(p)]
            time.sleep(0.05)

    def collect(self, next_epoch: int) -> tuple[list[dict], list[dict]]:
        """The epoch events of every earlier attempt before next_epoch, and where each
        resume began; saved (atomically) before the new attempt starts, so that a second
        interruption keeps them too."""
        epochs, resumed = [], []
        if self.earlier.is_file():
            try:
                saved = read_json(self.earlier, "an in-flight record")
                schema.version_of(self.earlier, saved, "inflight")
                epochs, resumed = list(saved["epochs"]), list(saved["resumed"])
            except (DataError, KeyError, TypeError):
                epochs, resumed = [], []
        if self.stdout.is_file():
            events, _ = contract.parse_events(self.stdout.read_text(errors="replace"))
            epochs += contract.epoch_events(events)
        by_epoch = {e.get("epoch"): e for e in epochs if isinstance(e, dict)}
        kept = [by_epoch[k] for k in sorted(k for k in by_epoch
                                            if isinstance(k, int) and k < next_epoch)]
        return kept, resumed

    def save_earlier(self, epochs: list[dict], resumed: list[dict]) -> None:
        write_json(self.earlier, schema.stamp("inflight", {"epochs": epochs,
                                                           "resumed": resumed}))

    def clear(self) -> None:
        for p in (self.checkpoint, self.stdout, self.earlier):
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def joined(events: list[dict], earlier: list[dict]) -> list[dict]:
    """The last attempt's events with the earlier attempts' epochs in front."""
    start = [e for e in events if e.get("event") == "start"]
    rest = [e for e in events if e.get("event") != "start"]
    return start + earlier + rest
