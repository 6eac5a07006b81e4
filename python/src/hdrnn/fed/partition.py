"""How a federation's clients share one data set (hdrnn-run fed --partition, a node's
`partition` config): which training samples each client holds. Deterministic from the
seed, so every node computes the same split on its own and nothing but the scheme
crosses the network.

- iid: a random permutation in N nearly equal parts;
- dirichlet:ALPHA: per class, the class's samples split in proportions drawn from a
  symmetric Dirichlet(ALPHA) (small ALPHA: each client sees few classes; Hsu et al.
  2019), drawn again (at most MAX_DRAWS times) until every client has MIN_SAMPLES;
- shards:K: the samples sorted by label, cut into N x K shards, K shards a client at
  random (McMahan et al. 2017: 2 shards, most clients see two digits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import idx
from ..errors import DataError, UsageError

SCHEMES = ("iid", "dirichlet:ALPHA", "shards:K")
MAX_DRAWS = 100
MIN_SAMPLES = 10  # a client with less than one batch of the HDR-NN's 10 trains on nothing


def parse(text: str) -> tuple[str, float]:
    """('iid', 0) | ('dirichlet', alpha) | ('shards', k) of the option's text."""
    name, _, arg = text.partition(":")
    if name == "iid" and not arg:
        return "iid", 0.0
    try:
        value = float(arg) if name == "dirichlet" else int(arg) if name == "shards" else None
    except ValueError:
        value = None
    if name == "dirichlet" and value is not None and 0 < value < 1e6:
        return name, value
    if name == "shards" and value is not None and 1 <= value <= 10_000:
        return name, value
    raise UsageError(f"--partition {text!r}: expected one of {', '.join(SCHEMES)} "
                     "(ALPHA > 0, K a positive integer)")


def assign(labels: np.ndarray, clients: int, scheme: str, seed: int) -> list[np.ndarray]:
    """The training-sample indices of each client (sorted), for `clients` clients."""
    name, arg = parse(scheme)
    n = len(labels)
    if clients < 1 or n < clients * MIN_SAMPLES:
        raise DataError(f"{n} training samples cannot give {clients} clients "
                        f"{MIN_SAMPLES} each")
    rng = np.random.default_rng(seed)
    if name == "iid":
        parts = np.array_split(rng.permutation(n), clients)
    elif name == "shards":
        shards = clients * int(arg)
        if shards > n:
            raise DataError(f"shards:{int(arg)}: {shards} shards of {n} samples")
        order = np.argsort(labels, kind="stable")
        pieces = np.array_split(order, shards)
        owner = rng.permutation(shards)
        parts = [np.concatenate([pieces[s] for s in owner[c::clients]]) for c in range(clients)]
    else:
        parts = _dirichlet(labels, clients, arg, rng)
    return [np.sort(p) for p in parts]


def _dirichlet(labels: np.ndarray, clients: int, alpha: float,
               rng: np.random.Generator) -> list[np.ndarray]:
    classes = np.unique(labels)
    for _ in range(MAX_DRAWS):
        parts: list[list[np.ndarray]] = [[] for _ in range(clients)]
        for c in classes:
            members = rng.permutation(np.flatnonzero(labels == c))
            share = rng.dirichlet(np.full(clients, alpha))
            cuts = (np.cumsum(share)[:-1] * len(members)).astype(int)
            for client, piece in enumerate(np.split(members, cuts)):
                parts[client].append(piece)
        joined = [np.concatenate(p) for p in parts]
        if min(len(p) for p in joined) >= MIN_SAMPLES:
            return joined
    raise DataError(f"dirichlet:{alpha:g}: no draw in {MAX_DRAWS} gave each of {clients} "
                    f"clients {MIN_SAMPLES} samples (a larger ALPHA, or fewer clients)")


def write(data: Path, out: Path, clients: int, scheme: str, seed: int, client: int,
          test_limit: int | None = None) -> Path:
    """Client `client`'s data directory under out: its share of data's training set and
    data's test set (its first test_limit samples), IDX as every trainer reads. Written
    once per (scheme, clients, seed, client): a node reuses it every round."""
    name = f"{scheme.replace(':', '-')}-{clients}-{seed}-{client}"
    target = out / name
    if (target / idx.TEST_LABELS).is_file():  # the last of write_dataset's files
        return target
    ds = idx.load(data)
    part = assign(ds.train.labels, clients, scheme, seed)[client]
    test = ds.test if test_limit is None else idx.Split(ds.test.features[:test_limit],
                                                        ds.test.labels[:test_limit])
    idx.write_dataset(target, idx.Split(ds.train.features[part], ds.train.labels[part]), test)
    return target
