"""hdrnn's Flower ClientApp: one federated round's local training on this node, by any
contract trainer through the runner's executor (measured as every run is: wall, user,
sys and peak RSS by wait4, the trainer's train_s), with the global weights in as
--weights-in and the updated weights out.

The node's data come from its Flower node config (docs/federated.md):
  data-dir        its own data set (a board's files), or the set to take a share of
  partition       iid | dirichlet:ALPHA | shards:K: train on share partition-id of
                  num-partitions of data-dir (a host simulation; fed/partition.py)
  partition-seed  the split's seed (default 1)
  work-dir        where the node keeps its share and the round's weights
  native-bin      the native trainers' directory (default: PATH, then the build tree)
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from .. import contract, idx, safetensors_io
from ..schema import Kind, RunSpec
from ..runner import executor, impls
from . import partition
from .records import METRICS, payload_bytes

app = ClientApp()


def node_data(node: dict) -> Path:
    """The node's training data directory, its share written first where it has one."""
    data = Path(str(node["data-dir"]))
    if "partition" not in node:
        return data
    work = Path(str(node.get("work-dir") or Path(tempfile.gettempdir()) / "hdrnn-fed"))
    return partition.write(data, work / "partitions", int(node["num-partitions"]),
                           str(node["partition"]), int(node.get("partition-seed", 1)),
                           int(node["partition-id"]))


@app.train()
def train(msg: Message, context: Context) -> Message:
    node, cfg = context.node_config, msg.content["config"]
    rnd = int(cfg["server-round"])
    client = str(node.get("partition-id", context.node_id))
    work = Path(str(node.get("work-dir") or Path(tempfile.gettempdir()) / "hdrnn-fed"))
    work.mkdir(parents=True, exist_ok=True)
    data = node_data(node)
    received = {k: v.numpy() for k, v in msg.content["arrays"].items()}
    w_in, w_out = work / f"global-{client}.safetensors", work / f"local-{client}.safetensors"
    safetensors_io.save(w_in, received)
    hidden = tuple(contract.parse_hidden(str(cfg["hidden"])))
    epochs = int(cfg["local-epochs"])
    classes = int(cfg["classes"])
    shape = idx.load(data, test_limit=1, classes=classes)  # inputs, and the examples
    impl = impls.find(str(cfg["impl"]), Path(str(node["native-bin"]))
                      if node.get("native-bin") else None)
    if not impl.argv:
        raise RuntimeError(f"{impl.name}: {impl.reason}")
    spec = RunSpec(id=f"r{rnd:03d}-c{client}", kind=Kind.FED, impl=impl.name, hidden=hidden,
                   rep=0, seed=int(cfg["seed"]) + int(node.get("partition-id", 0)),
                   epochs=epochs, batch=int(cfg["batch"]), lr=float(cfg["lr"]),
                   data=str(data), dataset=str(cfg["dataset"]), inputs=shape.inputs,
                   classes=classes, test_limit=int(cfg["test-limit"]),
                   weights_in=str(w_in), weights_out=str(w_out),
                   first_epoch=(rnd - 1) * epochs + 1, timeout_s=float(cfg["timeout"]))
    rec = dict(executor.execute(spec, impl))
    rec["client"] = client
    rec["node_id"] = context.node_id
    examples = len(shape.train.labels)
    if rec["status"] != "ok":  # an error reply: the round goes on without this client
        raise RuntimeError(f"{spec.id}: {rec['status']} ({rec.get('failure')}): "
                           f"{(rec.get('stderr_tail') or '').strip()[-200:]}")
    sent = safetensors_io.load(w_out)
    for p in (w_in, w_out):
        p.unlink(missing_ok=True)
    metrics = {"num-examples": examples, "train-s": rec["train_s"], "wall-s": rec["wall_s"],
               "max-rss-kib": rec["max_rss_kib"], "bytes-received": payload_bytes(received),
               "bytes-sent": payload_bytes(sent)}
    assert set(metrics) == set(METRICS)
    return Message(RecordDict({
        "arrays": ArrayRecord({k: Array(v) for k, v in sent.items()}),
        "metrics": MetricRecord(metrics),
        "record": ConfigRecord({"json": json.dumps(rec)}),
    }), reply_to=msg)
