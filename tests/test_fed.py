"""Federated training on Flower (hdrnn/fed, docs/federated.md): the clients' shares of a
data set, the server's refusal of bad updates, and whole federations on loopback with
real Flower processes: one interrupted and resumed (the server restarted), one with a
node killed mid-round."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import NATIVE_BIN, missing

flwr = pytest.importorskip("flwr")  # noqa: F841  (make test installs it: fails there)
from flwr.app import Array, ArrayRecord, MetricRecord, RecordDict  # noqa: E402

from hdrnn import contract, prng  # noqa: E402
from hdrnn.errors import DataError, UsageError  # noqa: E402
from hdrnn.fed import partition  # noqa: E402
from hdrnn.fed.records import METRICS  # noqa: E402
from hdrnn.fed.server import GuardedFedAvg  # noqa: E402

FED = [sys.executable, "-m", "hdrnn.runner.cli", "fed"]


def test_partitions_cover_every_sample_once():
    labels = np.repeat(np.arange(10, dtype=np.uint8), 100)
    for scheme in ("iid", "dirichlet:0.3", "shards:2"):
        parts = partition.assign(labels, 7, scheme, 3)
        again = partition.assign(labels, 7, scheme, 3)  # every node computes the same
        assert all(np.array_equal(a, b) for a, b in zip(parts, again))
        joined = np.concatenate(parts)
        assert len(joined) == 1000 and len(np.unique(joined)) == 1000, scheme
        assert min(len(p) for p in parts) >= partition.MIN_SAMPLES
    # the non-IID schemes give clients few classes; IID gives them all
    shards = partition.assign(labels, 10, "shards:2", 1)
    assert max(len(np.unique(labels[p])) for p in shards) <= 2
    assert all(len(np.unique(labels[p])) == 10 for p in partition.assign(labels, 10, "iid", 1))
    for bad in ("", "iid:1", "dirichlet", "dirichlet:0", "dirichlet:-1", "dirichlet:nan",
                "shards:0", "shards:1.5", "shards:x", "random"):
        with pytest.raises(UsageError, match="--partition"):
            partition.parse(bad)
    with pytest.raises(DataError, match="cannot give"):
        partition.assign(labels, 200, "iid", 1)


def _reply(tensors: dict, **metrics) -> RecordDict:
    m = {k: 1.0 for k in METRICS} | {"num-examples": 100} | metrics
    return RecordDict({"arrays": ArrayRecord({k: Array(v) for k, v in tensors.items()}),
                       "metrics": MetricRecord(m)})


def test_bad_updates_are_refused_with_a_reason():
    sizes = contract.layer_sizes([4])
    good = contract.tensors_of(prng.init_params(sizes, 1))
    guard = GuardedFedAvg(sizes, max_norm=100.0, min_train_nodes=1, min_available_nodes=1)
    guard.global_tensors = {k: v.astype(np.float64) for k, v in good.items()}
    assert guard.refusal(_reply(good)) is None
    w0 = contract.weight_name(0)
    cases = {
        "shape": ({**good, w0: good[w0][:, :10]}, "shape"),
        "missing": ({k: v for k, v in good.items() if k != w0}, "missing"),
        "extra": ({**good, "w9": good[w0]}, "unexpected"),
        "nan": ({**good, w0: np.where(np.arange(good[w0].size).reshape(good[w0].shape) == 5,
                                       np.nan, good[w0]).astype(np.float32)}, "NaN"),
        "norm": ({**good, w0: good[w0] + 10.0}, "max-update-norm"),
    }
    for name, (tensors, why) in cases.items():
        reason = guard.refusal(_reply(tensors))
        assert reason and why in reason, (name, reason)
    assert "num-examples" in guard.refusal(_reply(good, **{"num-examples": 0}))
    assert "metrics" in guard.refusal(RecordDict({"arrays": ArrayRecord(
        {k: Array(v) for k, v in good.items()}), "metrics": MetricRecord({"x": 1})}))


def _start(args: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen:
    # the runner's stop signals at their defaults, whatever this test was started with
    def defaults() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
    return subprocess.Popen(FED + args, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, preexec_fn=defaults, cwd=cwd)


def _federation(out: Path) -> dict:
    try:
        return json.loads((out / "federation.json").read_text())
    except (OSError, ValueError):
        return {}


def _wait(what, seconds: float, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"not within {seconds} s")


def _flower_pids(out: Path) -> list[int]:
    """Processes working in, or naming, this session's directory: the SuperLink, the
    nodes and whatever they started (hdrnn-run fed starts them in out/flower)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.name != str(os.getpid()) and (
                    os.readlink(proc / "cwd").startswith(str(out))
                    or str(out) in (proc / "cmdline").read_text()):
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def _need_c() -> list[str]:
    if not (NATIVE_BIN / "hdrnn-c").is_file():
        missing(f"{NATIVE_BIN}/hdrnn-c not built (make native)")
    return ["--impl", "c", "--native-bin", str(NATIVE_BIN)]


def test_federation_interrupted_and_resumed(tmp_path, mnist10k):
    """3 clients x 2 rounds on loopback; hdrnn-run fed is stopped (SIGTERM) once round 1
    is recorded, which takes the SuperLink, the ServerApp and the nodes down; --resume
    restarts them all and the server goes on after the last recorded round: every round
    exactly once, every client's training recorded once per round."""
    out = tmp_path / "fed"
    args = ["--clients", "3", "--rounds", "2", "--hidden", "30", "--partition", "iid",
            "--out", str(out), *_need_c()]
    first = _start(args, tmp_path / "first.log")
    try:
        _wait(lambda: len(_federation(out).get("rounds", [])) >= 1 or first.poll() is not None,
              120)
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 128 + signal.SIGTERM, (tmp_path / "first.log").read_text()
    finally:
        first.kill()
    done = len(_federation(out)["rounds"])
    assert done == 1 and not _federation(out)["complete"]
    assert _wait(lambda: not _flower_pids(out), 10)  # nothing left running
    r = subprocess.run(FED + ["--resume", str(out)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    fed = _federation(out)
    assert [x["round"] for x in fed["rounds"]] == [1, 2] and fed["complete"]
    assert fed["restarts"] == [{"after_round": done, "utc": fed["restarts"][0]["utc"]}]
    runs = sorted(p.stem for p in (out / "runs").glob("*.json"))
    assert runs == [f"r{n:03d}-c{c}" for n in (1, 2) for c in range(3)]
    rec = json.loads((out / "runs" / "r002-c1.json").read_text())
    assert rec["kind"] == "fed" and rec["status"] == "ok" and rec["max_rss_kib"] > 0
    assert "--first-epoch" in rec["argv"] and rec["argv"][rec["argv"].index(
        "--first-epoch") + 1] == "2"
    params = contract.param_count([30])
    for x in fed["rounds"]:
        assert x["bytes_sent"] == 3 * 4 * params and x["bytes_received"] == 3 * 4 * params
        assert all(c["status"] == "ok" and c["examples"] > 2600 for c in x["clients"])
    accuracy = [x["accuracy"] for x in fed["rounds"]]
    assert accuracy[-1] > fed["initial"]["accuracy"] + 0.3 and accuracy[1] > accuracy[0]
    assert (out / "weights" / "global-best.safetensors").is_file()
    assert (out / "weights" / fed["last_weights"]).is_file()
    assert not _flower_pids(out)
    # the report: accuracy by round, the rounds, the clients, the verdict
    r = subprocess.run([sys.executable, "-m", "hdrnn.report.cli", str(out), "--out",
                        str(tmp_path / "report")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    index = (tmp_path / "report" / "index.md").read_text()
    assert "## Federated training" in index and "| 2 | " in index
    assert (tmp_path / "report" / "fed_accuracy_by_round.png").is_file()


def test_node_killed_mid_round(tmp_path, mnist10k):
    """A node is killed (SIGKILL, its whole process group) once its train message has
    arrived: the round completes with the other two (min-nodes 2) after round-timeout,
    logs the lost node and averages nothing from it."""
    out = tmp_path / "fed"
    run = _start(["--clients", "3", "--rounds", "1", "--min-nodes", "2",  # a relative --out
                  "--round-timeout", "15", "--hidden", "8", "--out", "fed", *_need_c()],
                 tmp_path / "run.log", cwd=tmp_path)
    try:
        log = out / "flower" / "node-2.log"
        _wait(lambda: log.is_file() and "Receiving: train" in log.read_text(errors="replace")
              or run.poll() is not None, 120, 0.05)
        node = [p for p in _flower_pids(out) if "node-2.toml" in
                Path(f"/proc/{p}/cmdline").read_text()]
        assert node, "node 2 not running"
        os.killpg(os.getpgid(node[0]), signal.SIGKILL)
        assert run.wait(120) == 0, (tmp_path / "run.log").read_text()[-2000:]
    finally:
        run.kill()
    (round1,) = _federation(out)["rounds"]
    status = sorted(c["status"] for c in round1["clients"])
    assert status == ["lost", "ok", "ok"] and round1["aggregated"], round1
    assert round1["bytes_received"] == 2 * 4 * contract.param_count([8])
    assert sorted(p.stem for p in (out / "runs").glob("*.json")) == ["r001-c0", "r001-c1"]
    assert not _flower_pids(out)
