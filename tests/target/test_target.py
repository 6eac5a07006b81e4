"""On the booted target, over the console only: the smoke benchmark, cross-architecture
parity, machine info and the contract's errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from console import fetch_dir, sh

from parity import ACCURACY_POINTS, max_abs_diff, tolerance, train  # noqa: E402
from helpers import trainer_cmd  # noqa: E402

from hdrnn import safetensors_io  # noqa: E402
from hdrnn.runner.presets import SMOKE_CHECKS  # noqa: E402

DATA = "/usr/share/hdrnn/mnist-10k"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def board_off_afterwards(request):
    """labgrid keeps its board for the whole session: this module is its only user, so
    an emulated board is switched off when the module is done instead of idling (a
    fifth of a core) beside every later test. A real board is left as it is."""
    yield
    if "qemu" in str(request.config.getoption("lg_env", default=None) or ""):
        request.getfixturevalue("strategy").transition("off")


@pytest.fixture(scope="module")
def smoke(shell):
    """hdrnn-run --preset smoke on the target; its results directory, copied back."""
    sh(shell, "rm -rf /tmp/smoke")
    out, code = sh(shell, "hdrnn-run --preset smoke --out /tmp/smoke --quiet", timeout=900)
    assert code == 0, out[-20:]
    files = fetch_dir(shell, "/tmp/smoke")
    return code, {name: json.loads(b) for name, b in files.items() if name.endswith(".json")}


def test_smoke_runs_every_installed_trainer(smoke):
    code, files = smoke
    runs = {v["impl"]: v for k, v in files.items() if k.startswith("runs/")}
    assert code == 0
    assert {"c", "eigen", "numpy", "numpy-sample"} <= set(runs)
    for impl, r in runs.items():
        assert r["status"] == "ok" and r["exit_code"] == 0, (impl, r.get("stderr_tail"))
        assert r["hidden"] == [30] and len(r["epoch_log"]) == 1
        assert r["final_accuracy"] > SMOKE_CHECKS["min_accuracy"], (impl, r["final_accuracy"])
        assert 0 < r["max_rss_kib"] < SMOKE_CHECKS["max_rss_mib"][impl] * 1024, impl


def test_probe_names_the_board(smoke, shell):
    """hdrnn-probe on the board, and the inventory every session keeps: an i.MX6Q's
    Cortex-A9 (QEMU sabrelite runs one core of it), its memory and kernel."""
    out, code = sh(shell, "hdrnn-probe --out /tmp/inventory.json", timeout=300)
    assert code == 0, out[-5:]
    inv = json.loads("\n".join(out))
    assert inv["schema"] == "hdrnn.probe" and inv["cpu"]["core"] == "Cortex-A9"
    assert inv["cpu"]["cores"] >= 1 and "neon" in inv["cpu"]["features"]
    assert "i.MX6" in (inv["soc"]["model"] or "") and "fsl,imx6q" in inv["soc"]["compatible"]
    assert 900 * 1024 < inv["memory"]["total_kib"] <= 1024 * 1024
    release, _ = sh(shell, "uname -r")
    assert inv["kernel"]["release"] == release[0].strip()
    saved, _ = sh(shell, "cat /tmp/inventory.json")
    assert json.loads("\n".join(saved))["cpu"] == inv["cpu"]
    _, files = smoke
    assert files["session.json"]["inventory"]["cpu"]["core"] == "Cortex-A9"


def test_machine_info_is_the_board(smoke, shell, request):
    _, files = smoke
    m = files["session.json"]["machine"]
    assert m["machine"] == "armv7l"
    assert m["neon"] and "vfpv3" in m["isa_flags"]
    assert 900 * 1024 < m["mem_total_kib"] <= 1024 * 1024  # 1 GiB less the kernel's share
    out, _ = sh(shell, "uname -r")
    assert m["kernel"] == out[0].strip()
    if "qemu-sabresd" in str(request.config.getoption("lg_env")):  # the CI test image
        expected = ROOT / "build" / "test-image" / "kernel-version"
        assert m["kernel"] == expected.read_text().strip()


@pytest.mark.parametrize("impl", ["c", "eigen", "numpy"])
def test_target_weights_match_host_reference(shell, impl, mnist10k, tmp_path):
    hidden, n_train, n_test = "30", 500, 500
    sh(shell, "rm -rf /tmp/par && mkdir -p /tmp/par")
    out, code = sh(shell, f"hdrnn-{impl} --data {DATA} --hidden {hidden} --epochs 1 "
                          f"--train-limit {n_train} --test-limit {n_test} "
                          f"--weights-out /tmp/par/w.safetensors > /tmp/par/out.jsonl",
                   timeout=600)
    assert code == 0, out
    files = fetch_dir(shell, "/tmp/par")
    (tmp_path / "w.safetensors").write_bytes(files["w.safetensors"])
    target_w = safetensors_io.load(tmp_path / "w.safetensors")
    target_acc = [json.loads(x) for x in files["out.jsonl"].decode().splitlines()][-2]
    ref, ref_acc = train(trainer_cmd("numpy"), mnist10k, hidden, tmp_path / "ref.st",
                         train_limit=n_train, test_limit=n_test)
    assert max_abs_diff(ref, target_w) < tolerance(hidden)
    assert abs(target_acc["accuracy"] - ref_acc) * 100 <= ACCURACY_POINTS


def test_same_data_as_host(shell, mnist10k):
    out, code = sh(shell, f"cd {DATA} && sha256sum *-ubyte")
    assert code == 0 and len(out) == 4
    for line in out:
        digest, name = line.split()
        assert hashlib.sha256((mnist10k / name).read_bytes()).hexdigest() == digest, name


def test_bad_command_lines_on_target(shell):
    out, code = sh(shell, f"hdrnn-c --data {DATA} --hidden 0 2>&1")
    assert code == 2 and "at least one neuron" in out[-1]
    out, code = sh(shell, "hdrnn-eigen --data /nonexistent 2>&1")
    assert code == 3 and "/nonexistent" in out[-1]
    out, code = sh(shell, f"hdrnn-numpy --data {DATA} --lr -1 2>&1")
    assert code == 2 and "positive finite" in out[-1]
