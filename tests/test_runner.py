"""hdrnn-run: real trainer processes, measured, written atomically, resumable."""

import json
import os
import signal
import subprocess
import time

import pytest

from helpers import run, trainer_cmd

SMALL = ["--epochs", "1", "--reps", "1", "--train-limit", "300", "--test-limit", "200", "--quiet"]


@pytest.fixture(scope="module")
def need_native():
    trainer_cmd("c")  # skip (or fail under HDRNN_REQUIRE_ALL) without the C trainer


def _runs(d):
    return {p.stem: json.loads(p.read_text()) for p in (d / "runs").glob("*.json")}


def test_smoke_matrix(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "8", "--hidden", "16,8",
             "--data", str(mnist10k), "--out", str(out), *SMALL])
    assert r.returncode == 0, r.stderr
    session = json.loads((out / "session.json").read_text())
    m = session["machine"]
    assert m["cores"] >= 1 and m["mem_total_kib"] > 0 and m["kernel"] and m["python"]
    assert m["isa_flags"] and m["numpy"]
    assert session["trainers"]["c"]["compiler"].startswith(("gcc", "clang"))
    runs = _runs(out)
    assert sorted(runs) == ["c__h16-8__r1", "c__h8__r1", "numpy__h16-8__r1", "numpy__h8__r1"]
    for rec in runs.values():
        assert rec["status"] == "ok" and rec["exit_code"] == 0
        assert rec["wall_s"] > 0 and rec["user_s"] >= 0 and rec["sys_s"] >= 0
        assert len(rec["epoch_log"]) == 1 and 0 <= rec["final_accuracy"] <= 1
        assert rec["argv"][0].endswith(("hdrnn-c", "python", "python3")) or "python" in \
            rec["argv"][0]
    # Peak RSS is the trainer's own, not the runner's: the C trainer on 300 + 200
    # images needs a few MiB, far below this Python process's ~40 MiB.
    assert runs["c__h8__r1"]["max_rss_kib"] < 16 * 1024
    assert runs["numpy__h8__r1"]["max_rss_kib"] > runs["c__h8__r1"]["max_rss_kib"]
    acc = json.loads((out / "accuracy.json").read_text())
    assert all(g["ok"] for g in acc["groups"])  # one epoch: within 0.5 pp


def test_failing_run_is_recorded_and_matrix_goes_on(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "numpy-sample,c", "--hidden", "64", "--data",
             str(mnist10k), "--out", str(out), "--timeout", "0.3", "--epochs", "3",
             "--train-limit", "3000", "--quiet"])
    assert r.returncode == 1  # some run failed, the matrix still finished
    runs = _runs(out)
    assert runs["numpy-sample__h64__r1"]["status"] == "timeout"
    assert runs["numpy-sample__h64__r1"]["signal"] == "SIGKILL"
    assert "c__h64__r1" in runs


def test_sigkill_then_resume(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    cmd = ["hdrnn-run", "--impl", "numpy-sample,c", "--hidden", "8", "--hidden", "16",
           "--hidden", "32", "--reps", "2", "--data", str(mnist10k), "--epochs", "1",
           "--train-limit", "1500", "--test-limit", "100", "--quiet"]
    p = subprocess.Popen(cmd + ["--out", str(out)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "runs").glob("*.json"))) < 3 \
            if out.exists() else time.monotonic() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    before = _runs(out)
    assert 3 <= len(before) < 12, "kill the runner mid-matrix"
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
    assert r.returncode == 0, r.stderr
    after = _runs(out)
    assert len(after) == 12  # 2 impls x 3 sizes x 2 reps, each exactly once
    for run_id, rec in before.items():
        assert after[run_id] == rec  # finished runs were not redone
    assert all(rec["id"] == run_id and rec["status"] == "ok" for run_id, rec in after.items())
    assert not [f for f in (out / "runs").iterdir() if f.name.startswith(".")]


def test_check_writes_weights_and_agreement(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,eigen,numpy", "--hidden", "16", "--data",
             str(mnist10k), "--out", str(out), "--check", *SMALL])
    assert r.returncode == 0, r.stderr
    agree = json.loads((out / "agreement.json").read_text())
    pairs = {(p["a"], p["b"]) for p in agree["pairs"]}
    assert pairs == {("c", "eigen"), ("c", "numpy"), ("eigen", "numpy")}
    for p in agree["pairs"]:
        assert set(p["tensors"]) == {"layers.0.weight", "layers.0.bias", "layers.1.weight",
                                     "layers.1.bias"}
        assert 0 <= p["max_abs"] < 1e-4 and 0 <= p["mse"] < 1e-8


def test_stress_finds_the_failing_size(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "stress", "--impl", "c", "--mem-limit", "64M", "--data",
             str(mnist10k), "--out", str(out), "--start-hidden", "4096",
             "--max-hidden", "262144", "--timeout", "120", "--quiet"], timeout=600)
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "stress.json").read_text())
    c = s["impls"]["c"]
    # 784 x h float32 weights: 8192 -> 26 MB fits in 64 MB of address space, 65536 does not
    assert c["largest_ok_hidden"] in (8192, 16384, 32768)
    assert c["failure"]["exit_code"] == 4 and "out of memory" in c["failure"]["stderr_tail"]
    assert c["failure"]["hidden"] == 2 * c["largest_ok_hidden"]


def test_bad_command_lines(tmp_path):
    r = run(["hdrnn-run", "--impl", "fortran"])
    assert r.returncode == 2 and "fortran" in r.stderr and len(r.stderr.splitlines()) == 1
    r = run(["hdrnn-run", "--resume", str(tmp_path / "nope")])
    assert r.returncode == 3 and "session.json" in r.stderr
    r = run(["hdrnn-run", "stress", "--impl", "c"])
    assert r.returncode == 2 and "--mem-limit" in r.stderr
    r = run(["hdrnn-run", "--data", str(tmp_path), "--impl", "c"])
    assert r.returncode == 3 and "missing file" in r.stderr


def test_perf_counters_or_a_plain_reason(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--data", str(mnist10k),
             "--out", str(out), "--perf", *SMALL])
    assert r.returncode == 0, r.stderr
    perf = json.loads((out / "session.json").read_text())["perf"]
    rec = _runs(out)["c__h8__r1"]
    if perf["available"]:
        assert rec["perf"]["instructions"] > 0 and rec["perf"]["cycles"] > 0
    else:  # said plainly, once, and the runs went on without counters
        assert perf["reason"] and "--perf" in r.stderr and perf["reason"] in r.stderr
        assert "perf" not in rec and rec["status"] == "ok"


def test_progress_bar_on_a_terminal(mnist10k, tmp_path, need_native):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn("hdrnn-run", ["--impl", "c", "--hidden", "8", "--hidden", "16",
                                        "--data", str(mnist10k), "--out", str(tmp_path / "r"),
                                        "--epochs", "1", "--reps", "1", "--train-limit",
                                        "300", "--test-limit", "200"],
                          encoding="utf-8", timeout=120, dimensions=(24, 120))
    child.expect(r"\d+%\|")          # tqdm's bar, drawn only on a terminal
    child.expect(r"2/2 \[")           # ... up to the last run, with its timing
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "[1/2]" not in child.before  # the plain per-run lines are for non-terminals


def test_fast_exiting_process_is_still_measured():
    """A child that exits at once (a bad option, a missing library) is still waited for
    by the runner itself: its exit code and rusage are never lost to the shell that
    started it."""
    from hdrnn.runner import measure
    for _ in range(50):
        m = measure.run(["/bin/sh", "-c", "exit 3"], timeout=30)
        assert m.exit_code == 3 and m.signal is None and not m.timed_out
        assert 0 < m.max_rss_kib < 8 * 1024


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_runner_stops_its_trainer(mnist10k, tmp_path, need_native, how):
    """The trainer runs in a session of its own (a terminal's Ctrl-C does not reach it),
    so the runner must end it when it is itself interrupted or terminated."""
    out = tmp_path / "res"
    p = subprocess.Popen(["hdrnn-run", "--impl", "numpy-sample", "--hidden", "64",
                          "--data", str(mnist10k), "--out", str(out), "--epochs", "30",
                          "--reps", "1", "--quiet"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    trainer = None
    while trainer is None and time.monotonic() < deadline:
        time.sleep(0.1)
        for proc in os.listdir("/proc"):
            try:
                cmd = open(f"/proc/{proc}/cmdline").read()
            except OSError:
                continue
            if "hdrnn.train_numpy_sample" in cmd and "--epochs\x0030\x00" in cmd:
                trainer = int(proc)
    assert trainer, "the trainer did not start"
    p.send_signal(how)
    assert p.wait(timeout=30) != 0
    assert "interrupted" in p.stderr.read()
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{trainer}") or \
        open(f"/proc/{trainer}/stat").read().split()[2] == "Z"
    assert not (out / "runs" / "numpy-sample__h64__r1.json").exists()
