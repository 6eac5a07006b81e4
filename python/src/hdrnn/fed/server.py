"""hdrnn's Flower ServerApp: federated averaging of contract trainers' weights.

Flower's FedAvg (weighted by each client's examples; its fraction and minimum-node
settings from the run config) chooses the clients and averages; hdrnn adds, around
it: an update is refused, with its reason logged, when its tensors do not fit the
network, hold NaN or inf, or move the weights farther than max-update-norm (L2 over
all parameters): it never reaches the average. After every round the server evaluates
the global model on the held-out test set (NumPy, the contract's forward pass),
records the round and checkpoints (fed/records.py); a restarted server resumes after
the last recorded round. The federation stops early at target-accuracy, or after
patience rounds without a better accuracy.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone
from logging import INFO, WARNING
from pathlib import Path

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.common.logger import log
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from .. import contract, idx, prng, safetensors_io
from ..errors import DataError
from ..store import ResultsDir
from ..train_numpy import MatrixNet
from . import records
from .records import METRICS, payload_bytes

app = ServerApp()


class GuardedFedAvg(FedAvg):
    """FedAvg that refuses a bad update before it reaches the average, and keeps what
    became of every reply of the last round in `outcome`."""

    def __init__(self, sizes: list[int], max_norm: float, **kwargs) -> None:
        super().__init__(fraction_evaluate=0.0, **kwargs)  # the server evaluates
        self.sizes, self.max_norm = sizes, max_norm
        self.global_tensors: dict[str, np.ndarray] = {}
        self.outcome: list[dict] = []

    def refusal(self, content) -> str | None:
        """Why this reply's update must not be averaged, or None."""
        metrics = content.get("metrics")
        arrays = content.get("arrays")
        if not isinstance(arrays, ArrayRecord) or not isinstance(metrics, MetricRecord):
            return "no weights or no metrics in the reply"
        if set(metrics) != set(METRICS):
            return f"metrics {sorted(metrics)} are not {sorted(METRICS)}"
        examples = metrics["num-examples"]
        if not isinstance(examples, (int, float)) or not 0 < examples < 2 ** 40:
            return f"num-examples {examples!r} is not a positive count"
        tensors = {k: v.numpy() for k, v in arrays.items()}
        try:
            safetensors_io.params_of("the update", tensors, self.sizes)
        except DataError as e:
            return str(e)
        norm = math.sqrt(sum(float(np.sum((tensors[k].astype(np.float64) - g) ** 2))
                             for k, g in self.global_tensors.items()))
        if not norm <= self.max_norm:
            return f"the update moves the weights by {norm:.3g} (L2), beyond " \
                   f"max-update-norm {self.max_norm:g}"
        return None

    def aggregate_train(self, server_round, replies):
        self.outcome, good = [], []
        for msg in replies:
            who = {"node_id": int(msg.metadata.src_node_id)}
            if msg.has_error():
                self.outcome.append({**who, "status": "failed",
                                     "reason": str(msg.error.reason)[-300:]})
                log(WARNING, "round %d: node %d failed: %s", server_round, who["node_id"],
                    str(msg.error.reason)[-200:])
                continue
            reason = self.refusal(msg.content)
            if reason:
                self.outcome.append({**who, "status": "refused", "reason": reason})
                log(WARNING, "round %d: update of node %d refused: %s", server_round,
                    who["node_id"], reason)
                continue
            rec = msg.content.get("record")
            record = json.loads(str(rec["json"])) if isinstance(rec, ConfigRecord) else {}
            m = msg.content["metrics"]
            self.outcome.append({**who, "status": "ok", "client": record.get("client"),
                                 "examples": int(m["num-examples"]),
                                 "train_s": float(m["train-s"]), "wall_s": float(m["wall-s"]),
                                 "max_rss_kib": int(m["max-rss-kib"]),
                                 "bytes_received": int(m["bytes-received"]),
                                 "bytes_sent": int(m["bytes-sent"]), "record": record})
            good.append(msg)
        if len(good) < self.min_train_nodes:
            log(WARNING, "round %d: %d usable updates, fewer than min-train-nodes %d: the "
                "global model stays", server_round, len(good), self.min_train_nodes)
            return None, None
        return super().aggregate_train(server_round, good)


def evaluate(tensors: dict[str, np.ndarray], sizes: list[int], test: idx.Split) -> dict:
    """The global model's accuracy and quadratic cost, C = sum ||y - a||^2 / 2n."""
    params = safetensors_io.params_of("the global model", tensors, sizes)
    out = MatrixNet(params).predict(test.features)
    y = np.eye(sizes[-1], dtype=np.float64)[test.labels]
    correct = int(np.sum(np.argmax(out, axis=1) == test.labels))
    cost = float(np.sum((y - out) ** 2) / (2 * len(test.labels)))
    return {"accuracy": correct / len(test.labels), "correct": correct,
            "total": len(test.labels), "cost": cost}


ALL_NODES_GRACE = 10.0  # seconds a round waits for the nodes still starting or reconnecting


def wait_for_nodes(grid: Grid, expect: int, least: int, seconds: float) -> int:
    """Connected nodes, polled until all `expect` are (for ALL_NODES_GRACE at most: a
    node may be gone for good), then until at least `least` are or `seconds` pass.
    FedAvg samples among the nodes connected when a round starts; Flower's own wait for
    them has no end."""
    start = time.monotonic()
    while True:
        n = len(list(grid.get_node_ids()))
        waited = time.monotonic() - start
        if (n >= max(expect, least) or (n >= least and waited >= ALL_NODES_GRACE)
                or waited >= seconds):
            return n
        time.sleep(0.2)


def _utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = dict(context.run_config)
    store, _ = ResultsDir.open(Path(str(cfg["out"])))
    try:
        federate(grid, cfg, store)
    finally:
        store.unlock()


def federate(grid: Grid, cfg: dict, store: ResultsDir) -> None:
    hidden = contract.parse_hidden(str(cfg["hidden"]))
    classes, seed = int(cfg["classes"]), int(cfg["seed"])
    data = idx.load(str(cfg["data"]), classes=classes)
    sizes = contract.layer_sizes(hidden, data.inputs, classes)
    rounds = int(cfg["rounds"])
    fed = records.load(store)
    if fed is None:
        tensors = contract.tensors_of(prng.init_params(sizes, seed))
        fed = {"settings": cfg, "rounds": [], "restarts": [], "stopped": None,
               "complete": False, "initial": evaluate(tensors, sizes, data.test)}
    else:
        tensors = records.last_weights(store, fed, sizes)
        fed["restarts"].append({"after_round": len(fed["rounds"]), "utc": _utc()})
        log(INFO, "resuming after round %d", len(fed["rounds"]))
    strategy = GuardedFedAvg(sizes, float(cfg["max-update-norm"]),
                             fraction_train=float(cfg["fraction"]),
                             min_train_nodes=int(cfg["min-nodes"]),
                             min_available_nodes=int(cfg["min-nodes"]))
    train_config = {k: cfg[k] for k in ("impl", "hidden", "local-epochs", "lr", "batch",
                                        "seed", "classes", "test-limit", "timeout",
                                        "dataset")}
    target = float(cfg["target-accuracy"]) if float(cfg["target-accuracy"]) > 0 else None
    patience = int(cfg["patience"]) or None
    best = max((r["accuracy"] for r in fed["rounds"]), default=-1.0)
    since_best = 0
    for r in reversed(fed["rounds"]):
        if r["accuracy"] >= best:
            break
        since_best += 1
    for rnd in range(len(fed["rounds"]) + 1, rounds + 1):
        if fed["stopped"]:
            break
        nodes = wait_for_nodes(grid, int(cfg.get("expect-nodes", 0)), int(cfg["min-nodes"]),
                               float(cfg["node-wait"]))
        if nodes < int(cfg["min-nodes"]):
            fed["stopped"] = f"nodes: {nodes} connected, min-nodes {cfg['min-nodes']}"
            break
        t0 = time.monotonic()
        strategy.global_tensors = {k: v.astype(np.float64) for k, v in tensors.items()}
        arrays = ArrayRecord({k: Array(v) for k, v in tensors.items()})
        messages = list(strategy.configure_train(rnd, arrays, ConfigRecord(train_config), grid))
        replies = list(grid.send_and_receive(messages, timeout=float(cfg["round-timeout"])))
        train_wall = time.monotonic() - t0
        agg, _ = strategy.aggregate_train(rnd, replies)
        if agg is not None:
            tensors = {k: v.numpy().astype(np.float32) for k, v in agg.items()}
        t1 = time.monotonic()
        result = evaluate(tensors, sizes, data.test)
        answered = {int(m.metadata.src_node_id) for m in replies}
        for m in messages:  # a node that died or hung: no reply before round-timeout
            if int(m.metadata.dst_node_id) not in answered:
                strategy.outcome.append({"node_id": int(m.metadata.dst_node_id),
                                         "status": "lost", "reason": "no reply within "
                                         f"round-timeout ({cfg['round-timeout']} s)"})
                log(WARNING, "round %d: node %d lost (no reply)", rnd,
                    int(m.metadata.dst_node_id))
        for c in strategy.outcome:
            rec = c.pop("record", None)
            if rec:  # the executor's record, stamped on the node, plus client and node_id
                store.save_run(rec)
        ok = [c for c in strategy.outcome if c["status"] == "ok"]
        slowest = max((c["wall_s"] for c in ok), default=0.0)
        fed["rounds"].append({
            "round": rnd, **result, "aggregated": agg is not None,
            "clients": strategy.outcome, "sampled": len(messages),
            "wall_s": round(time.monotonic() - t0, 6), "train_wall_s": round(train_wall, 6),
            "eval_s": round(time.monotonic() - t1, 6),
            # Flower's share of the round: its wall time less the slowest client's run
            "overhead_s": round(max(0.0, train_wall - slowest), 6),
            "bytes_sent": payload_bytes(tensors) * len(messages),
            "bytes_received": sum(c["bytes_sent"] for c in ok), "utc": _utc()})
        improved = result["accuracy"] > best
        if improved:
            best, since_best = result["accuracy"], 0
            fed["best"] = {"round": rnd, "accuracy": best}
        else:
            since_best += 1
        if target is not None and result["accuracy"] >= target:
            fed["stopped"] = "target"
        elif patience and since_best >= patience:
            fed["stopped"] = "patience"
        records.save_round(store, fed, tensors, improved)
        log(INFO, "round %d: accuracy %.4f, cost %.4f, %d of %d updates averaged, %.1f s",
            rnd, result["accuracy"], result["cost"], len(ok), len(messages),
            fed["rounds"][-1]["wall_s"])
    fed["complete"] = True
    store.save(records.FEDERATION, "federation", fed)
