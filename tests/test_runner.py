"""hdrnn-run: real trainer processes, measured, written atomically, resumable."""

import json
import os
import signal
import subprocess
import time

import pytest

from helpers import dispositions, run, trainer_cmd
from hdrnn.runner import noise

SMALL = ["--epochs", "1", "--reps", "1", "--train-limit", "300", "--test-limit", "200", "--quiet"]


@pytest.fixture(scope="module")
def need_native():
    trainer_cmd("c")  # skip (or fail under HDRNN_REQUIRE_ALL) without the C trainer


def _runs(d, kind="bench"):
    """The run records of a results directory: the timing runs, or those of a kind."""
    recs = {p.stem: json.loads(p.read_text()) for p in (d / "runs").glob("*.json")}
    return {k: v for k, v in recs.items() if v.get("kind") == kind}


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
    for rec in runs.values():  # what each figure needs (docs/runner.md)
        assert rec["seed"] == 1 and rec["binary"]
        # the flag follows the record's own times (a loaded CI machine may set it)
        assert rec["busy"] is noise.is_busy(rec["wall_s"], rec["user_s"], rec["sys_s"])
        assert rec["train_s"] > 0 and rec["eval_s"] > 0 and rec["startup_s"] >= 0
        assert rec["train_s"] + rec["eval_s"] + rec["startup_s"] == \
            pytest.approx(rec["wall_s"], abs=2e-6)
        # sampled peaks, each at most the wait4 high-water mark (they need not coincide);
        # a run of a few ms may end before its first sample: then there is no split
        if rec["impl"] == "numpy" or "rss_anon_peak_kib" in rec:
            assert 0 < rec["rss_anon_peak_kib"] and 0 < rec["rss_file_peak_kib"]
            assert max(rec["rss_anon_peak_kib"], rec["rss_file_peak_kib"]) <= \
                rec["max_rss_kib"]
        assert len(rec["before"]["loadavg"]) == 3 and "governor" in rec["before"]
    assert runs["c__h8__r1"]["build"] == "portable" and runs["numpy__h8__r1"]["build"] == \
        "python"
    agree = json.loads((out / "agreement.json").read_text())  # the quick preset checks
    assert agree["reference"] == "numpy" and len(agree["rows"]) == 2
    assert not agree["failures"] and all(r["max_abs"] < r["tolerance"] for r in agree["rows"])


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
           "--train-limit", "1500", "--test-limit", "100", "--quiet", "--no-check"]
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


def test_check_writes_weights_and_verdicts(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,eigen,numpy", "--hidden", "16", "--data",
             str(mnist10k), "--out", str(out), "--check", "--check-seeds", "2", *SMALL])
    assert r.returncode == 0, r.stderr
    agree = json.loads((out / "agreement.json").read_text())
    assert {(x["impl"], x["seed"]) for x in agree["rows"]} == \
        {("c", 1), ("eigen", 1), ("c", agree["seeds"][1]), ("eigen", agree["seeds"][1])}
    for x in agree["rows"]:
        assert set(x["tensors"]) == {"layers.0.weight", "layers.0.bias", "layers.1.weight",
                                     "layers.1.bias"}
        assert x["ok"] and 0 <= x["max_abs"] < 1e-4
    checks = list(_runs(out, "check").values())
    assert len(checks) == 6 and all((out / c["weights"]).is_file() for c in checks)


def test_repetitions_draw_their_own_seeds(mnist10k, tmp_path, need_native):
    from hdrnn.runner.seeds import rep_seed
    out, same = tmp_path / "res", tmp_path / "same"
    args = ["--impl", "c", "--hidden", "16", "--data", str(mnist10k), "--epochs", "1",
            "--reps", "3", "--train-limit", "500", "--test-limit", "500", "--no-check",
            "--quiet", "--seed", "7"]
    assert run(["hdrnn-run", *args, "--out", str(out)]).returncode == 0
    assert run(["hdrnn-run", *args, "--same-seed", "--out", str(same)]).returncode == 0
    runs = _runs(out)
    seeds = [runs[f"c__h16__r{k}"]["seed"] for k in (1, 2, 3)]
    assert seeds == [7, rep_seed(7, 2), rep_seed(7, 3)] and len(set(seeds)) == 3
    for k, rec in enumerate((runs[f"c__h16__r{k}"] for k in (1, 2, 3)), 1):
        assert f"--seed\x00{seeds[k - 1]}\x00" in "\x00".join(rec["argv"]) + "\x00"
    accs = {runs[f"c__h16__r{k}"]["final_accuracy"] for k in (1, 2, 3)}
    assert len(accs) > 1  # independent seeds: a distribution, not one trajectory
    same_runs = _runs(same)
    assert {same_runs[f"c__h16__r{k}"]["seed"] for k in (1, 2, 3)} == {7}
    assert len({same_runs[f"c__h16__r{k}"]["final_accuracy"] for k in (1, 2, 3)}) == 1


def test_repetition_seed_streams_do_not_overlap():
    """docs/runner.md: the init (and shuffle) streams of repetitions are disjoint windows
    of 2^40 counters on one sequence; init and shuffle windows stay 1.3e11 apart."""
    from hdrnn.prng import GOLDEN
    from hdrnn.runner.seeds import SLOT, rep_seed
    g_inv = pow(GOLDEN, -1, 1 << 64)
    for seed in (0, 1, 7, 2 ** 62, 2 ** 63 - 1):
        offsets = set()
        for rep in range(1, 200):
            s = rep_seed(seed, rep)
            assert 0 <= s < 2 ** 63 and (rep > 1 or s == seed)
            counter = ((s - seed) * g_inv) % (1 << 64)  # where its window starts
            assert counter % SLOT == 0
            offsets.add(counter // SLOT)
        assert len(offsets) == 199
    gap = g_inv % SLOT  # the shuffle stream (seed + 1) relative to the init stream
    assert min(gap, SLOT - gap) > 10 ** 11


def test_order_of_runs():
    from hdrnn.runner.matrix import jobs
    from hdrnn.runner.presets import Plan
    a, b = "c", "eigen"
    plan = Plan("t", [[8], [16]], reps=2, epochs=1, dataset="x")
    names = [(i, h[0], r) for i, h, r in jobs(plan, [a, b])]
    assert names[:4] == [("c", 8, 1), ("eigen", 8, 1), ("c", 16, 1), ("eigen", 16, 1)]
    plan.order = "grouped"
    assert [(i, h[0], r) for i, h, r in jobs(plan, [a, b])][:3] == \
        [("c", 8, 1), ("c", 8, 2), ("c", 16, 1)]
    plan.order = "random"
    shuffled = [(i, h[0], r) for i, h, r in jobs(plan, [a, b])]
    assert sorted(shuffled) == sorted(names) and shuffled == \
        [(i, h[0], r) for i, h, r in jobs(plan, [a, b])]


def test_warmup_runs_are_not_recorded(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--data", str(mnist10k),
             "--out", str(out), "--warmup", "2", "--no-check", "--epochs", "1", "--reps", "1",
             "--train-limit", "300", "--test-limit", "200"])
    assert r.returncode == 0, r.stderr
    assert "warm-up 1/2 c" in r.stderr and "warm-up 2/2 c" in r.stderr
    assert list(_runs(out)) == ["c__h8__r1"]
    assert json.loads((out / "session.json").read_text())["plan"]["warmup"] == 2


@pytest.mark.serial  # its own load on CPU 0, nobody else's
def test_a_busy_machine_is_flagged(mnist10k, tmp_path, need_native):
    """A busy loop pinned to the trainer's CPU takes half of it: the run's wall time is
    then about twice its CPU time, which the runner flags and says."""
    out = tmp_path / "res"
    hog = subprocess.Popen(["taskset", "-c", "0", "sh", "-c", "while :; do :; done"])
    try:
        r = run(["taskset", "-c", "0", "hdrnn-run", "--impl", "c", "--hidden", "128",
                 "--data", str(mnist10k), "--out", str(out), "--epochs", "1", "--reps", "1",
                 "--no-check", "--quiet"])
    finally:
        hog.kill()
        hog.wait()
    assert r.returncode == 0, r.stderr
    rec = _runs(out)["c__h128__r1"]
    assert rec["busy"] is True and rec["wall_s"] > 1.5 * (rec["user_s"] + rec["sys_s"])
    assert "waited" in r.stderr and "busy machine" in r.stderr


def test_time_to_target_accuracy(mnist10k, tmp_path, need_native):
    for target, reached in (("0.1", True), ("1.0", False)):
        out = tmp_path / target
        r = run(["hdrnn-run", "--impl", "c", "--hidden", "16", "--data", str(mnist10k),
                 "--out", str(out), "--target-accuracy", target, "--no-check", *SMALL[:2],
                 "--epochs", "2", "--train-limit", "500", "--test-limit", "300", "--quiet"])
        assert r.returncode == 0, r.stderr
        rec = _runs(out)["c__h16__r1"]
        if reached:  # 10 % is reached after the first epoch: its training time
            assert rec["time_to_target_s"] == rec["epoch_log"][0]["train_s"]
        else:
            assert rec["time_to_target_s"] is None


def test_threads_reach_torch_and_libtorch(mnist10k, tmp_path):
    trainer_cmd("torch")
    trainer_cmd("libtorch")
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "torch,libtorch", "--hidden", "8", "--threads", "2",
             "--data", str(mnist10k), "--out", str(out), "--no-check", *SMALL])
    assert r.returncode == 0, r.stderr
    for rec in _runs(out).values():
        assert rec["argv"][-2:] == ["--threads", "2"] and rec["start"]["threads"] == 2


def test_native_bin_is_the_only_source_of_native_trainers(mnist10k, tmp_path, need_native):
    from helpers import TUNED_BIN
    trainer_cmd("c-tuned")
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(["hdrnn-run", "--impl", "c", "--native-bin", str(empty), "--data",
             str(mnist10k), "--out", str(tmp_path / "x"), *SMALL])
    assert r.returncode == 4 and "--native-bin" in r.stderr  # no fallback to PATH
    out = tmp_path / "tuned"
    r = run(["hdrnn-run", "--impl", "c", "--native-bin", str(TUNED_BIN), "--hidden", "8",
             "--data", str(mnist10k), "--out", str(out), "--no-check", *SMALL])
    assert r.returncode == 0, r.stderr
    rec = _runs(out)["c__h8__r1"]
    assert rec["binary"] == str((TUNED_BIN / "hdrnn-c").resolve())
    assert rec["build"] == "host-tuned"
    trainers = json.loads((out / "session.json").read_text())["trainers"]
    assert trainers["c"]["build"] == "host-tuned"


def test_epochs_0_session(mnist10k, tmp_path, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "8", "--data", str(mnist10k),
             "--out", str(out), "--epochs", "0", "--reps", "1", "--no-check", "--quiet"])
    assert r.returncode == 0, r.stderr
    for rec in _runs(out).values():
        assert rec["status"] == "ok" and rec["final_accuracy"] is None
        assert rec["train_s"] is None and rec["startup_s"] == rec["wall_s"]


@pytest.mark.parametrize("args", [
    ["--resume", "R", "--reps", "3"], ["--resume", "R", "--threads", "2"],
    ["--mem-limit", "1G"], ["--start-hidden", "64"], ["stress", "--mem-limit", "1G", "--check"],
    ["stress", "--mem-limit", "1G", "--reps", "2"], ["--impl", ""], ["--impl", " , "],
    ["--timeout", "0"], ["--timeout", "nan"], ["--timeout", "-1"], ["--warmup", "-1"],
    ["--target-accuracy", "1.5"], ["--check-seeds", "0"],
    ["stress", "--mem-limit", "1G", "--start-hidden", "0"],
    ["stress", "--mem-limit", "1G", "--start-hidden", "64", "--max-hidden", "32"],
    ["stress", "--mem-limit", "inf"], ["stress", "--mem-limit", "nan"],
    ["stress", "--mem-limit", "1e30"], ["stress", "--mem-limit", "1K"],
    ["stress", "--mem-limit", "-5M"], ["stress", "--mem-limit", ""], ["--out", ""],
    ["--out", "  "], ["--hidden", "9" * 30], ["--hidden", "1,1,1,1,1,1,1,1,1"],
    ["--native-bin", "R/none"], ["--native-bin", "/dev/null"]])
def test_ignored_or_bad_options_are_refused(args, tmp_path):
    r = run(["hdrnn-run", *[a.replace("R", str(tmp_path)) if a.startswith("R") else a
                            for a in args]])
    assert r.returncode == 2, (args, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


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
    assert c["failure"]["failure"] == "out-of-memory"
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
    from hdrnn.report import load, tables
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--data", str(mnist10k),
             "--out", str(out), "--perf", *SMALL])
    assert r.returncode == 0, r.stderr
    perf = json.loads((out / "session.json").read_text())["perf"]
    rec = _runs(out)["c__h8__r1"]
    shown = tables.counters(load.load(out))
    if perf["available"]:  # a machine with a PMU: the model's figures, measured
        assert rec["perf"]["instructions"] > 0 and rec["perf"]["cycles"] > 0
        assert rec["perf_baseline"]["instructions"] < rec["perf"]["instructions"]
        assert rec["perf_per_sample"]["instructions"] > 0 and "784-8-10" in shown
        assert set(rec["perf_missing"]) == {e for e, v in rec["perf"].items() if v is None}
    else:  # said plainly, once, and the runs went on without counters
        assert perf["reason"] and "--perf" in r.stderr and perf["reason"] in r.stderr
        assert "perf" not in rec and rec["status"] == "ok"
        assert shown.startswith("Not available here") and perf["reason"][:20] in shown


def test_cache_marks_need_hdrnn_mark(mnist10k, tmp_path):
    """--cache-marks is for the emulated board, whose image has hdrnn-mark: elsewhere one
    line and exit 2, before a session exists."""
    import shutil
    if shutil.which("hdrnn-mark"):
        pytest.skip("hdrnn-mark is installed here")
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--data", str(mnist10k),
             "--out", str(out), "--cache-marks", *SMALL])
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "--cache-marks" in r.stderr and "hdrnn-mark" in r.stderr and not out.exists()


def test_counter_events_and_their_absence(tmp_path):
    """The events asked of perf (the PL310's, system-wide, only where its PMU is
    registered), and perf's own output for events this machine cannot count."""
    import shutil
    from hdrnn.runner import counters
    sources = tmp_path / "devices"
    (sources / "armv7_cortex_a9").mkdir(parents=True)
    plain = counters.wrap(["hdrnn-c"], tmp_path / "c", tmp_path / "l2", sources)
    assert plain[:2] == ["perf", "stat"] and "-a" not in plain and plain[-1] == "hdrnn-c"
    assert plain[plain.index("-e") + 1].split(",") == counters.CORE_EVENTS
    for e in ("drreq", "drhit", "dwreq", "dwhit", "epfhit"):
        (sources / "l2c_310" / "events" / e).mkdir(parents=True)
    both = counters.wrap(["hdrnn-c"], tmp_path / "c", tmp_path / "l2", sources)
    assert both[:3] == ["perf", "stat", "-a"] and both[both.index("-e") + 1] == \
        "l2c_310/drreq/,l2c_310/drhit/,l2c_310/dwreq/,l2c_310/dwhit/"
    assert both[both.index("--") + 1:] == plain
    assert counters.per_sample({"instructions": 1500, "cycles": None},
                               {"instructions": 500, "cycles": 7}, 10) == \
        {"instructions": 100.0, "cycles": None}
    if shutil.which("perf") is None:
        pytest.skip("perf is not installed")
    out = tmp_path / "perf.csv"
    r = run(["perf", "stat", "-x", ",", "-o", str(out), "-e",
             ",".join(counters.CORE_EVENTS + ["task-clock"]), "--", "true"])
    if r.returncode != 0:
        pytest.skip("perf stat cannot run here: " + r.stderr[:80])
    counts, missing = counters.parse(out.read_text())
    assert counts["task-clock"] > 0  # a software event: perf runs here
    for event in counters.CORE_EVENTS:  # a count, or none with perf's reason
        assert (isinstance(counts[event], int) and event not in missing) or \
            (counts[event] is None and missing[event])


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


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_stopping_the_runner_stops_its_trainer(mnist10k, tmp_path, need_native, how):
    """The trainer runs in a session of its own (a terminal's Ctrl-C does not reach it),
    so the runner must end it when it is itself interrupted or terminated."""
    out = tmp_path / "res"
    p = subprocess.Popen(["hdrnn-run", "--impl", "numpy-sample", "--hidden", "64",
                          "--data", str(mnist10k), "--out", str(out), "--epochs", "30",
                          "--reps", "1", "--quiet"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, preexec_fn=dispositions())
    deadline = time.monotonic() + 60
    trainer = None
    while trainer is None and time.monotonic() < deadline:
        time.sleep(0.1)
        for proc in os.listdir("/proc"):
            try:
                cmd = open(f"/proc/{proc}/cmdline").read()
                parent = open(f"/proc/{proc}/stat").read().rsplit(")", 1)[1].split()[1]
            except (OSError, IndexError):
                continue
            # this runner's own trainer (its child: the runner is a subreaper), not
            # another test's running beside it
            if "hdrnn.train_numpy_sample" in cmd and "--epochs\x0030\x00" in cmd and \
                    parent == str(p.pid):
                trainer = int(proc)
    assert trainer, "the trainer did not start"
    p.send_signal(how)
    assert p.wait(timeout=30) == 128 + how
    assert "interrupted" in p.stderr.read()
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{trainer}") or \
        open(f"/proc/{trainer}/stat").read().split()[2] == "Z"
    assert not (out / "runs" / "numpy-sample__h64__r1.json").exists()


def test_one_runner_per_results_directory(mnist10k, tmp_path, need_native):
    """Two hdrnn-run on one directory would run the same runs twice, each slowing the
    other: the second is refused while the first works."""
    out = tmp_path / "res"
    first = subprocess.Popen(["hdrnn-run", "--impl", "numpy-sample", "--hidden", "64",
                              "--data", str(mnist10k), "--out", str(out), "--epochs", "30",
                              "--reps", "1", "--no-check", "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=dispositions())
    try:
        deadline = time.monotonic() + 60
        while not (out / "session.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
        assert r.returncode == 4, r.stderr
        assert f"pid {first.pid}" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    assert not list((out / "runs").glob("*.json"))  # the run in flight was lost, only it


@pytest.mark.parametrize("damage", ["list", "no-plan", "plan-hidden-strings", "unknown-impl",
                                    "warmup-text", "native-bin-number", "huge-timeout",
                                    "not-json"])
def test_resume_of_a_damaged_session_is_one_line(mnist10k, tmp_path, damage, need_native):
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--data", str(mnist10k), "--out",
             str(out), *SMALL])
    assert r.returncode == 0, r.stderr
    path = out / "session.json"
    info = json.loads(path.read_text())
    if damage == "list":
        info = [info]
    elif damage == "no-plan":
        del info["plan"]
    elif damage == "plan-hidden-strings":
        info["plan"]["hidden"] = [["8"], {"a": 1}]
    elif damage == "unknown-impl":
        info["plan"]["impls"] = ["fortran"]
    elif damage == "warmup-text":
        info["plan"]["warmup"] = "two"
    elif damage == "native-bin-number":
        info["native_bin"] = 7
    elif damage == "huge-timeout":
        info["timeout_s"] = 10 ** 400
    text = json.dumps(info) if damage != "not-json" else "{plan: nope"
    path.write_text(text)
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
    assert r.returncode == 3, (damage, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "session.json" in r.stderr


@pytest.mark.parametrize("body,kind", [
    ("echo 'error while loading shared libraries: libm.so.6: failed to map segment from "
     "shared object' >&2; exit 127", "out-of-memory"),
    ("echo 'OpenBLAS error: Memory allocation still failed after 10 retries' >&2; exit 1",
     "out-of-memory"),
    ("echo 'hdrnn-c: out of memory' >&2; exit 4", "out-of-memory"),
    ("echo 'hdrnn-c: w.safetensors: No space left on device' >&2; exit 4", "disk-full"),
    ("kill -SEGV $$", "signal"),
    ("echo 'hdrnn-c: something else' >&2; exit 1", "error")])
def test_failures_are_classified(mnist10k, tmp_path, body, kind):
    """Under a memory limit the loader or a library fails before the trainer can exit 4:
    the runner still calls it out of memory."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "hdrnn-c").write_text("#!/bin/sh\n" + body + "\n")
    (fake / "hdrnn-c").chmod(0o755)
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--native-bin", str(fake), "--hidden", "8",
             "--data", str(mnist10k), "--out", str(out), *SMALL])
    assert r.returncode == 1
    assert _runs(out)["c__h8__r1"]["failure"] == kind
