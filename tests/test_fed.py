"""Federated training on Flower (hdrnn/fed, docs/federated.md): the clients' shares of a
data set, the server's refusal of bad updates, and a whole federation on loopback with
real Flower processes, interrupted and resumed (the server restarted), with a node
killed mid-round."""

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

from hdrnn import contract, prng
from hdrnn.errors import DataError, UsageError
from hdrnn.fed import partition
from hdrnn.fed.records import METRICS

FED = [sys.executable, "-m", "hdrnn.runner.cli", "fed"]


@pytest.fixture(scope="module")
def flower():
    """Flower's app API (make venv installs it; skip, or fail under make test, without)."""
    try:
        import flwr.app
    except ImportError:
        missing("Flower is not installed (make venv installs hdrnn[fed])")
    return flwr.app


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


def _reply(fl, tensors: dict, **metrics):
    m = {k: 1.0 for k in METRICS} | {"num-examples": 100} | metrics
    return fl.RecordDict({"arrays": fl.ArrayRecord({k: fl.Array(v) for k, v in tensors.items()}),
                          "metrics": fl.MetricRecord(m)})


def test_bad_updates_are_refused_with_a_reason(flower):
    from hdrnn.fed.server import GuardedFedAvg
    fl = flower
    sizes = contract.layer_sizes([4])
    good = contract.tensors_of(prng.init_params(sizes, 1))
    guard = GuardedFedAvg(sizes, max_norm=100.0, min_train_nodes=1, min_available_nodes=1)
    guard.global_tensors = {k: v.astype(np.float64) for k, v in good.items()}
    assert guard.refusal(_reply(fl, good)) is None
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
        reason = guard.refusal(_reply(fl, tensors))
        assert reason and why in reason, (name, reason)
    assert "num-examples" in guard.refusal(_reply(fl, good, **{"num-examples": 0}))
    assert "metrics" in guard.refusal(fl.RecordDict({"arrays": fl.ArrayRecord(
        {k: fl.Array(v) for k, v in good.items()}), "metrics": fl.MetricRecord({"x": 1})}))


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


def _nothing_left(out: Path) -> None:
    """No Flower process of the session outlives hdrnn-run fed (what is left, named)."""
    try:
        _wait(lambda: not _flower_pids(out), 10)
    except AssertionError:
        left = []
        for pid in _flower_pids(out):
            try:
                left.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:120])
            except OSError:
                pass
        raise AssertionError(f"still running: {left}") from None


def _need_c() -> list[str]:
    if not (NATIVE_BIN / "hdrnn-c").is_file():
        missing(f"{NATIVE_BIN}/hdrnn-c not built (make native)")
    return ["--impl", "c", "--native-bin", str(NATIVE_BIN)]


def test_federation_interrupted_resumed_and_a_node_lost(tmp_path, mnist10k, flower):
    """3 clients x 2 rounds on loopback. hdrnn-run fed is stopped (SIGTERM) once round 1
    is recorded, which takes the SuperLink, the ServerApp and the nodes down; --resume
    restarts them all and the server goes on after the last recorded round. In round 2
    a node is killed (SIGKILL, its process group) once its train message has arrived:
    the round completes with the other two (min-nodes 2) at round-timeout, the node is
    recorded lost and nothing of it is averaged. Every round exactly once, every
    client's training recorded once per round it finished."""
    out = tmp_path / "fed"  # given relative, from tmp_path
    args = ["--clients", "3", "--rounds", "2", "--min-nodes", "2", "--round-timeout", "15",
            "--hidden", "30", "--partition", "iid", "--out", "fed", *_need_c()]
    first = _start(args, tmp_path / "first.log", cwd=tmp_path)
    try:
        _wait(lambda: len(_federation(out).get("rounds", [])) >= 1 or first.poll() is not None,
              120)
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 128 + signal.SIGTERM, (tmp_path / "first.log").read_text()
    finally:
        first.kill()
    fed = _federation(out)
    assert len(fed["rounds"]) == 1 and not fed["complete"], fed
    _nothing_left(out)
    log = out / "flower" / "node-2.log"  # appended to by both starts
    before = log.read_text(errors="replace").count("Receiving: train")  # round 2's may
    second = _start(["--resume", str(out)], tmp_path / "second.log")  # be there already
    try:
        _wait(lambda: log.read_text(errors="replace").count("Receiving: train") > before
              or second.poll() is not None, 120, 0.05)
        node = [p for p in _flower_pids(out) if "node-2.toml" in
                Path(f"/proc/{p}/cmdline").read_text()]
        assert node, ("node 2 not running", second.poll(), log.read_text()[-1500:],
                      (tmp_path / "second.log").read_text()[-1500:])
        os.killpg(os.getpgid(node[0]), signal.SIGKILL)
        assert second.wait(120) == 0, (tmp_path / "second.log").read_text()[-2000:]
    finally:
        second.kill()
    fed = _federation(out)
    assert [x["round"] for x in fed["rounds"]] == [1, 2] and fed["complete"]
    assert fed["restarts"] == [{"after_round": 1, "utc": fed["restarts"][0]["utc"]}]
    round1, round2 = fed["rounds"]
    assert sorted(c["status"] for c in round2["clients"]) == ["lost", "ok", "ok"], round2
    assert round2["aggregated"] and round2["sampled"] == 3
    runs = sorted(p.stem for p in (out / "runs").glob("*.json"))
    assert runs == ["r001-c0", "r001-c1", "r001-c2", "r002-c0", "r002-c1"]
    rec = json.loads((out / "runs" / "r002-c1.json").read_text())
    assert rec["kind"] == "fed" and rec["status"] == "ok" and rec["max_rss_kib"] > 0
    assert rec["argv"][rec["argv"].index("--first-epoch") + 1] == "2"
    weights = 4 * contract.param_count([30])
    assert round1["bytes_sent"] == 3 * weights and round1["bytes_received"] == 3 * weights
    assert round2["bytes_sent"] == 3 * weights and round2["bytes_received"] == 2 * weights
    assert all(c["status"] == "ok" and c["examples"] > 2600 for c in round1["clients"])
    assert round2["accuracy"] > round1["accuracy"] > fed["initial"]["accuracy"] + 0.3
    assert (out / "weights" / "global-best.safetensors").is_file()
    assert (out / "weights" / fed["last_weights"]).is_file()
    _nothing_left(out)
    # the report: accuracy by round, the rounds, the clients, the verdict
    r = subprocess.run([sys.executable, "-m", "hdrnn.report.cli", str(out), "--out",
                        str(tmp_path / "report")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    index = (tmp_path / "report" / "index.md").read_text()
    assert "## Federated training" in index and "| 2 | " in index and "lost" in index
    assert (tmp_path / "report" / "fed_accuracy_by_round.png").is_file()
