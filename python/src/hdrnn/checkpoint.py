"""Power-loss-safe checkpoints of a training run (docs/contract.md): the weights and the
position (next epoch, next batch) in one safetensors file, written atomically (temporary
file, fsync, rename, fsync of the directory), and what --resume-from checks before it
continues: that the checkpoint was written by this same run. The C loop
(native/common/hdrnn_train.c) writes and reads the same keys."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import contract, safetensors_io
from .errors import DataError

MARK = "hdrnn_checkpoint"


@dataclass(frozen=True)
class Position:
    epoch: int   # the epoch to train next
    batch: int   # its first batch to train (0: the epoch's shuffle comes first)


@dataclass
class EarlyStop:
    """Early stopping (--target-accuracy, --patience), as the C loop keeps it: the best
    epoch's correct answers so far (-1 before the first), the epochs since it, and why
    training stopped. A checkpoint carries it, so a resumed run stops where one would."""
    best: int = -1
    since: int = 0
    stopped: str | None = None

    def after(self, correct: int, total: int, target: float | None,
              patience: int | None) -> str | None:
        if correct > self.best:
            self.best, self.since = correct, 0
        else:
            self.since += 1
        if target is not None and correct / total >= target:
            self.stopped = "target"
        elif patience is not None and self.since >= patience:
            self.stopped = "patience"
        return self.stopped

    def meta(self) -> dict:
        return {"best_correct": str(self.best), "since_best": str(self.since),
                "stopped": self.stopped or ""}


def labels_fnv(labels: np.ndarray) -> str:
    """FNV-1a, 64 bits, of the training labels in use, as 16 hex digits: a checkpoint
    resumed on other data of the same size and shape (a new import, another split) is
    refused. The C loop computes the same."""
    h = 0xCBF29CE484222325
    for b in labels.tobytes():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def features_crc(features: np.ndarray) -> str:
    """CRC-32 (zlib's) of the training features in use as the IDX file stores them (bytes,
    or big-endian float32), as 8 hex digits: a re-import that changed only the features
    (--standardize, say) is refused too. The C loop computes the same."""
    crc, rows = 0, 1 << 12  # in blocks: a float32 copy of the whole set is not needed
    for s in range(0, len(features), rows):
        block = features[s:s + rows]
        crc = zlib.crc32((block if block.dtype == np.uint8 else block.astype(">f4")).tobytes(),
                         crc)
    return f"{crc:08x}"


def identity(impl: str, hidden, batch: int, lr: float, seed: int, labels: np.ndarray,
             features: np.ndarray) -> dict:
    """What decides the weights of a run (the implementation aside: any trainer may go
    on from another's checkpoint, though bit-for-bit only its own)."""
    return {MARK: "1", "impl": impl, "hidden": contract.hidden_arg(hidden),
            "batch": str(batch), "lr": repr(float(lr)), "seed": str(seed),
            "train": str(len(labels)), "train_labels": labels_fnv(labels),
            "train_features": features_crc(features)}


def remove_stale_temporaries(path) -> None:
    """A run killed while writing its checkpoint leaves the temporary file behind
    (.NAME.tmpPID from Python, NAME.tmpPID from C): removed when the run starts again,
    so that power cuts do not fill the disk."""
    path = Path(path)
    stale = re.compile(r"\.?" + re.escape(path.name) + r"\.tmp[0-9]+")
    try:
        for p in path.parent.iterdir():
            if stale.fullmatch(p.name):
                p.unlink(missing_ok=True)
    except OSError:
        pass


def save(path, tensors: dict[str, np.ndarray], ident: dict, pos: Position,
         stop: EarlyStop) -> None:
    safetensors_io.save(path, tensors, {**ident, "next_epoch": str(pos.epoch),
                                        "next_batch": str(pos.batch), **stop.meta()})


def load(path, sizes: list[int], ident: dict, n_batches: int):
    """(params, Position, EarlyStop) of a checkpoint of this run; DataError naming the
    file. Checkpoints from before early stopping start a fresh EarlyStop."""
    tensors, meta = safetensors_io.read(path)
    params = safetensors_io.params_of(path, tensors, sizes)
    if meta.get(MARK) != "1":
        raise DataError(f"{path}: not a checkpoint (weights only: use --weights-in)")
    for key in ("hidden", "batch", "seed", "train", "train_labels", "train_features"):
        if meta.get(key) != ident[key]:
            raise DataError(f"{path}: a checkpoint of another run ({key} "
                            f"{meta.get(key) or 'none'}, this run {ident[key]})")
    try:
        same_lr = float(meta.get("lr", "")) == float(ident["lr"])
    except ValueError:
        same_lr = False
    if not same_lr:
        raise DataError(f"{path}: a checkpoint of another run (lr {meta.get('lr')}, this "
                        f"run {ident['lr']})")
    epoch, batch = meta.get("next_epoch", ""), meta.get("next_batch", "")
    whole = all(v.isascii() and v.isdigit() for v in (epoch, batch))
    if not (whole and 1 <= int(epoch) <= contract.MAX_INT and int(batch) < n_batches):
        raise DataError(f"{path}: a checkpoint with a bad position (epoch {epoch!r:.20}, "
                        f"batch {batch!r:.20})")
    best, since = meta.get("best_correct", "") or "-1", meta.get("since_best", "") or "0"
    if not ((best == "-1" or best.isascii() and best.isdigit()) and since.isascii()
            and since.isdigit() and int(since) <= contract.MAX_INT):
        raise DataError(f"{path}: a checkpoint with a bad early-stopping state (best "
                        f"{best!r:.20}, since {since!r:.20})")
    stopped = meta.get("stopped") if meta.get("stopped") in ("target", "patience") else None
    return params, Position(int(epoch), int(batch)), EarlyStop(int(best), int(since), stopped)
