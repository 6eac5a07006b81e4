"""A federation's results in the runner's schema (docs/federated.md): session.json as
hdrnn-run writes it, runs/rNNN-cID.json for every client's local training of a round
(kind "fed", the executor's record), federation.json with the rounds, and the global
weights of the last and of the best round under weights/. Written by the ServerApp
after every round, weights first and federation.json last, each atomically: a server
restarted at any point resumes after the last round federation.json names, which
neither repeats nor loses a round."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import schema, safetensors_io
from ..errors import DataError
from ..files import read_json
from ..store import ResultsDir

FEDERATION = "federation.json"
# what every client reports beside its weights (Flower's FedAvg needs the same keys in
# every reply, and weights the average by num-examples)
METRICS = ("num-examples", "train-s", "wall-s", "max-rss-kib", "bytes-received", "bytes-sent")


def payload_bytes(tensors: dict[str, np.ndarray]) -> int:
    """The arrays' bytes as they cross the network (Flower sends an array's raw bytes;
    its message framing, gRPC/HTTP and TLS are not counted)."""
    return int(sum(t.nbytes for t in tensors.values()))


def round_weights(store: ResultsDir, rnd: int) -> Path:
    return store.weights_dir / f"global-r{rnd:03d}.safetensors"


def load(store: ResultsDir) -> dict | None:
    """federation.json of the session, or None before its first round."""
    path = store.root / FEDERATION
    if not path.exists():
        return None
    return schema.federation(path, read_json(path, "a federation file"))


def save_round(store: ResultsDir, fed: dict, tensors: dict[str, np.ndarray], best: bool) -> None:
    """One finished round: its global weights, then federation.json naming them."""
    rnd = fed["rounds"][-1]["round"]
    path = round_weights(store, rnd)
    safetensors_io.save(path, tensors)
    previous = fed.get("last_weights")
    fed["last_weights"] = path.name
    if best:
        safetensors_io.save(store.weights_dir / "global-best.safetensors", tensors)
    store.save(FEDERATION, "federation", fed)
    if previous and previous != path.name:  # only after federation.json names the new one
        (store.weights_dir / previous).unlink(missing_ok=True)


def last_weights(store: ResultsDir, fed: dict, sizes: list[int]) -> dict[str, np.ndarray]:
    name = fed.get("last_weights")
    if not name:
        raise DataError(f"{store.root / FEDERATION}: names no global weights to resume from")
    path = store.weights_dir / name
    safetensors_io.load_params(path, sizes)  # the shapes and values, checked
    return safetensors_io.load(path)
