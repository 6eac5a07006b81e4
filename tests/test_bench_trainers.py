"""tools/bench_trainers.py (make bench-trainers, docs/performance.md): the FLOP count the
GFLOP/s rest on, and one real run of every trainer through it on mnist-10k."""

import json
import subprocess
import sys

from helpers import NATIVE_BIN, REQUIRE_ALL, ROOT, TUNED_BIN

sys.path.insert(0, str(ROOT / "tools"))
import bench_trainers  # noqa: E402


def test_flop_count_matches_the_documented_one():
    # docs/performance.md: 100,652 FLOP per sample at 784-30-10, 429,442 at 784-128-10
    assert bench_trainers.flops_per_sample([30], 10) == 100_652
    assert bench_trainers.flops_per_sample([128], 10) == 429_442
    # by hand for 784-4-3-10 at batch 5: forward + gradient 4*in*out for each layer,
    # + the back-propagated delta 2*in*out for layers 2 and 3, + 2*params/5
    layers = [(784, 4), (4, 3), (3, 10)]
    by_hand = sum(4 * i * o for i, o in layers) + 2 * (4 * 3 + 3 * 10) \
        + 2 * sum(i * o + o for i, o in layers) / 5
    assert bench_trainers.flops_per_sample([4, 3], 5) == by_hand


def test_one_run_measures_every_trainer(mnist10k, tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench_trainers.py"), "--tuned", str(TUNED_BIN),
         "--portable", str(NATIVE_BIN), "--data", str(mnist10k), "--out", str(out),
         "--epochs", "2"],
        capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["sgemm"]["gflops"] > 0
    rows = result["rows"]
    assert not [row for row in rows if "error" in row], rows
    names = {row["impl"] for row in rows}
    expected = {"c (host-tuned)", "eigen (host-tuned)", "c (portable)", "eigen (portable)",
                "numpy"}
    if REQUIRE_ALL:
        expected |= {"torch", "libtorch (portable)", "libtorch (host-tuned)"}
    assert expected <= names
    for row in rows:
        assert len(row["all_epochs_train_s"]) == 2
        assert row["epoch_train_s"] == min(row["all_epochs_train_s"])
        assert row["gflops"] > 0 and row["max_rss_mib"] > 0
    # the Markdown table on stdout: one row per measurement, C (tuned) as the 1.00 base
    table = [line for line in r.stdout.splitlines() if line.startswith("| c (host-tuned)")]
    assert len(table) == 2 and all("| 1.00 |" in line for line in table)
    assert {p["hidden"] for p in result["batch_products"]} == {30, 128}
