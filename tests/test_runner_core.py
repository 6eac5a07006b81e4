"""The runner core (docs/runner.md): signals kept, bad options refused before anything
is written, faults ending in one line and a session that --resume completes, one
schema, and modules that import one way."""

import ast
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers import ROOT, dispositions, run, trainer_cmd

PKG = ROOT / "python" / "src" / "hdrnn"
SMALL = ["--epochs", "1", "--reps", "1", "--train-limit", "300", "--test-limit", "200",
         "--quiet"]


def _records(d):
    return {p.stem: json.loads(p.read_text()) for p in (d / "runs").glob("*.json")}


def _wait_for(pred, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _long_matrix(mnist10k, out):
    # numpy-sample at 64 hidden: a few seconds a run, long enough to be signalled in one
    return ["hdrnn-run", "--impl", "c,numpy-sample", "--hidden", "64", "--reps", "2",
            "--epochs", "2", "--train-limit", "2000", "--test-limit", "100", "--no-check",
            "--data", str(mnist10k), "--out", str(out), "--quiet"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_run_in_flight_and_keeps_the_rest(mnist10k, tmp_path, sig):
    trainer_cmd("c")
    out = tmp_path / "res"
    p = subprocess.Popen(_long_matrix(mnist10k, out), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=dispositions())
    assert _wait_for(lambda: (out / "runs" / "c__h64__r1.json").exists())
    p.send_signal(sig)
    assert p.wait(timeout=60) == 128 + sig  # 130, 143, 129
    assert f"interrupted ({signal.Signals(sig).name})" in p.stderr.read()
    kept = _records(out)
    assert kept["c__h64__r1"]["status"] == "ok" and len(kept) < 4
    assert not [f for f in (out / "runs").iterdir() if f.name.startswith(".")]
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"], stdin=subprocess.DEVNULL,
            preexec_fn=dispositions())
    assert r.returncode == 0, r.stderr
    after = _records(out)
    assert len(after) == 4 and after["c__h64__r1"] == kept["c__h64__r1"]


def test_an_ignored_sighup_stays_ignored(mnist10k, tmp_path):
    """nohup hdrnn-run ... &: the terminal closes (SIGHUP to the process group); the
    session goes on to its end."""
    trainer_cmd("c")
    out = tmp_path / "res"
    p = subprocess.Popen(_long_matrix(mnist10k, out), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         preexec_fn=dispositions(SIGHUP=signal.SIG_IGN),
                         start_new_session=True)
    assert _wait_for(lambda: (out / "runs" / "c__h64__r1.json").exists())
    os.killpg(p.pid, signal.SIGHUP)  # the runner and its trainer, as a hang-up does
    assert p.wait(timeout=300) == 0, p.stderr.read()
    recs = _records(out)
    assert len(recs) == 4 and all(r["status"] == "ok" for r in recs.values())


# Every bounded option, out of range: exit 2, one line naming it, nothing created.
OUT_OF_RANGE = [
    ["--lr", "1e40"], ["--lr", "inf"], ["--epochs", "2147483648"], ["--epochs", "-1"],
    ["--batch", "2147483648"], ["--batch", "0"], ["--train-limit", "2147483648"],
    ["--test-limit", "2147483648"], ["--test-limit", "0"], ["--reps", "1000000000"],
    ["--reps", "0"], ["--seed", "9223372036854775808"], ["--seed", "-1"],
    ["--classes", "257"], ["--classes", "1"], ["--threads", "0"],
    ["--threads", "2147483648"], ["--checkpoint-every", "2147483648"],
    ["--warmup", "101"], ["--check-seeds", "101"], ["--timeout", "1e30"],
    ["--target-accuracy", "0"], ["--hidden", "1000001"],
    ["--preset", "thesis", "--epochs", "2147483648"],
    ["stress", "--mem-limit", "256M", "--max-hidden", "1000001"],
    ["stress", "--mem-limit", "256M", "--start-hidden", "2000000"],
    ["stress", "--mem-limit", "256M", "--threads", "0"],
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=lambda a: "_".join(a).lstrip("-"))
def test_out_of_range_options_create_nothing(args, tmp_path):
    out = tmp_path / "res"
    r = run(["hdrnn-run", *args, "--out", str(out)])
    assert r.returncode == 2, (args, r.stderr)
    lines = r.stderr.strip().splitlines()
    option, value = args[-2:]
    shown = (value, repr(float(value))) if value[-1].isdigit() else (value,)
    assert len(lines) == 1 and option in lines[0], lines
    assert any(v in lines[0] for v in shown), lines
    assert not out.exists() and not list(tmp_path.iterdir())


def test_presets_and_documented_commands_are_within_bounds():
    """Every preset passes the checks an overridden plan meets; `hdrnn-run stress
    --mem-limit 256M` (docs/runner.md) is accepted as written."""
    from hdrnn.runner import cli, options, presets
    for plan in presets.PRESETS.values():
        options.check_plan(plan)
    a = cli.build_parser().parse_args(["stress", "--mem-limit", "256M"])
    opts = options.make_options(a)
    assert opts.stress.max_hidden == 1000000 and options.make_plan(a).epochs == 1


def test_runs_stop_at_the_target_or_their_patience(mnist10k, tmp_path):
    """--target-accuracy passes on to every run, which stops there (time to accuracy);
    --patience too; the records say why they stopped, and are complete."""
    trainer_cmd("c")
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "16", "--epochs", "20",
             "--train-limit", "500", "--test-limit", "300", "--target-accuracy", "0.5",
             "--reps", "1", "--no-check", "--quiet", "--data", str(mnist10k), "--out",
             str(out)])
    assert r.returncode == 0, r.stderr
    for rec in _records(out).values():
        assert rec["status"] == "ok" and rec["stopped"] == "target", rec.get("stderr_tail")
        assert "--target-accuracy" in rec["argv"] and len(rec["epoch_log"]) < 20
        assert rec["final_accuracy"] >= 0.5 > rec["epoch_log"][-2]["accuracy"]
        assert rec["time_to_target_s"] == pytest.approx(rec["train_s"], abs=1e-5)
    pat = tmp_path / "pat"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "16", "--epochs", "40",
             "--train-limit", "300", "--test-limit", "300", "--patience", "1", "--lr", "3",
             "--reps", "1", "--no-check", "--quiet", "--data", str(mnist10k), "--out",
             str(pat)])
    assert r.returncode == 0, r.stderr
    rec, = _records(pat).values()
    log = [e["correct"] for e in rec["epoch_log"]]
    assert rec["stopped"] == "patience" and log[-1] <= max(log[:-1]) and len(log) < 40


def test_data_the_network_cannot_take_is_refused_first(mnist10k, tmp_path):
    """MNIST's labels 0-9 with --classes 3: refused before a session exists."""
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c", "--hidden", "8", "--classes", "3", "--data",
             str(mnist10k), "--out", str(out), *SMALL])
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


def test_killed_just_after_the_last_record_resume_writes_the_summary(mnist10k, tmp_path):
    """A runner killed between its last check record and agreement.json: --resume has
    no run left to do and writes the verdicts from the records."""
    trainer_cmd("c")
    out = tmp_path / "res"
    assert run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "8", "--check", "--data",
                str(mnist10k), "--out", str(out), *SMALL]).returncode == 0
    before = json.loads((out / "agreement.json").read_text())
    (out / "agreement.json").unlink()
    r = run(["hdrnn-run", "--resume", str(out)], stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "2 of 2 runs already done" in r.stderr and "[2/2] check numpy" in r.stderr
    assert json.loads((out / "agreement.json").read_text()) == before


def test_a_record_that_is_not_a_record_is_run_again(mnist10k, tmp_path):
    trainer_cmd("c")
    out = tmp_path / "res"
    args = ["--impl", "c", "--hidden", "8", "--hidden", "16", "--no-check",
            "--data", str(mnist10k), *SMALL]
    assert run(["hdrnn-run", *args, "--out", str(out)]).returncode == 0
    victims = {"c__h8__r1": "[1]", "c__h16__r1": json.dumps({"id": "c__h16__r1",
                                                             "schema": "hdrnn.run",
                                                             "schema_version": 2})}
    for rid, text in victims.items():
        (out / "runs" / f"{rid}.json").write_text(text)
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert all(rec["status"] == "ok" for rec in _records(out).values())


def _fake_trainer(tmp_path, flag):
    """hdrnn-c that fails as a full disk makes it fail while flag exists."""
    fake = tmp_path / "bin"
    fake.mkdir()
    real = trainer_cmd("c")[0]
    (fake / "hdrnn-c").write_text(
        f"#!/bin/sh\nif [ -e {flag} ]; then echo 'hdrnn-c: weights.safetensors: "
        f"No space left on device' >&2; exit 4; fi\nexec {real} \"$@\"\n")
    (fake / "hdrnn-c").chmod(0o755)
    return fake


def test_a_full_disk_in_the_agreement_check_is_run_again_on_resume(mnist10k, tmp_path):
    """A trainer that could not write its weights ran out of disk, not memory; once
    the space is back, --resume runs the failed check runs again and the check passes."""
    flag = tmp_path / "disk-full"
    flag.touch()
    fake = _fake_trainer(tmp_path, flag)
    out = tmp_path / "res"
    r = run(["hdrnn-run", "--impl", "c,numpy", "--native-bin", str(fake), "--hidden", "8",
             "--check", "--data", str(mnist10k), "--out", str(out), *SMALL])
    assert r.returncode == 1 and "AGREEMENT CHECK FAILED" in r.stderr
    recs = _records(out)
    assert recs["check__c__h8__s1"]["failure"] == "disk-full"
    assert recs["c__h8__r1"]["failure"] == "disk-full"
    flag.unlink()
    r = run(["hdrnn-run", "--resume", str(out), "--quiet"])
    assert r.returncode == 0, r.stderr
    agree = json.loads((out / "agreement.json").read_text())
    assert not agree["failures"] and agree["schema"] == "hdrnn.agreement"
    assert all(rec["status"] == "ok" for rec in _records(out).values())


def test_a_full_disk_names_the_file_and_resume_completes(mnist10k, tmp_path):
    """Results on a tmpfs in a mount namespace of its own: 4 KiB (the lock fits,
    session.json does not: no session, no lone .lock), then 24 KiB (full mid-matrix:
    exit 4 naming the file, no temporary left), then grown (--resume completes every
    run, each once)."""
    trainer_cmd("c")
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = mnt / "res"
    cmd = (f"hdrnn-run --impl c --hidden 8 --hidden 16 --hidden 32 --reps 3 --data "
           f"{mnist10k} --out {res} --no-check --quiet --epochs 1 --train-limit 200 "
           "--test-limit 100")
    err = [tmp_path / f"err{k}" for k in range(3)]
    script = (f"mount -t tmpfs -o size=4k tmpfs {mnt} || exit 99; {cmd} 2>{err[0]}; "
              f"echo rc1=$?; ls -A {mnt}; echo end-ls; mount -o remount,size=24k {mnt}; "
              f"{cmd} 2>{err[1]}; echo rc2=$?; ls -a {res}/runs; "
              f"mount -o remount,size=8m {mnt}; hdrnn-run --resume {res} --quiet "
              f"2>{err[2]}; echo rc3=$?; ls {res}/runs | wc -l")
    r = run(["unshare", "-m", "sh", "-c", script], stdin=subprocess.DEVNULL)
    if "rc1=" not in r.stdout:
        pytest.skip("cannot mount a tmpfs in a mount namespace here: " + r.stderr[:80])
    first, second, third = (e.read_text().strip().splitlines() for e in err)
    assert "rc1=4" in r.stdout and len(first) == 1, first
    assert "No space left on device" in first[0] and str(res) in first[0]
    assert r.stdout.split("rc1=4\n")[1].startswith("end-ls")  # nothing left behind
    assert "rc2=4" in r.stdout and "No space left on device" in second[-1], second
    assert f"{res}/runs/" in second[-1]
    assert ".tmp" not in r.stdout.split("rc2=4")[1].split("rc3")[0]
    assert "rc3=0" in r.stdout and r.stdout.strip().endswith("\n9"), (r.stdout, third)


def test_every_file_the_runner_writes_names_its_schema(mnist10k, tmp_path):
    trainer_cmd("c")
    out = tmp_path / "res"
    assert run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "8", "--check", "--data",
                str(mnist10k), "--out", str(out), *SMALL]).returncode == 0
    stress = tmp_path / "stress"
    assert run(["hdrnn-run", "stress", "--impl", "c", "--mem-limit", "64M", "--start-hidden",
                "8", "--max-hidden", "16", "--data", str(mnist10k), "--out", str(stress),
                "--quiet"]).returncode == 0
    names = {}
    for p in list(out.rglob("*.json")) + list(stress.rglob("*.json")):
        doc = json.loads(p.read_text())
        assert doc["schema_version"] == 2, p
        names[p.name if p.parent.name != "runs" else "run"] = doc["schema"]
    assert names == {"session.json": "hdrnn.session", "run": "hdrnn.run",
                     "agreement.json": "hdrnn.agreement", "stress.json": "hdrnn.stress"}


def _imports(path: Path) -> set[str]:
    """The hdrnn modules path imports (relative imports resolved)."""
    mod = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
    pkg = mod.rsplit(".", 1)[0] if path.name != "__init__.py" else mod
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = pkg.rsplit(".", node.level - 1)[0] if node.level else ""
            name = ".".join(x for x in (base, node.module) if x)
            for alias in node.names:
                full = f"{name}.{alias.name}"
                out.add(full if (PKG.parent / (full.replace(".", "/") + ".py")).exists()
                        else name)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("hdrnn")}


def test_modules_import_one_way():
    """No cycle among hdrnn's modules, function-level imports included; the report
    never imports the runner; runner/cli.py stays a command line (250 lines)."""
    graph = {".".join(p.relative_to(PKG.parent).with_suffix("").parts): _imports(p)
             for p in PKG.rglob("*.py")}
    graph = {k.removesuffix(".__init__"): v for k, v in graph.items()}
    state = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", "import cycle: " + " -> ".join(path + [m])
        state[m] = "open"
        for dep in graph.get(m, ()):
            visit(dep, path + [m])
        state[m] = "done"
    for m in graph:
        visit(m, [])
    assert not [m for m, deps in graph.items() if m.startswith("hdrnn.report")
                and any(d.startswith("hdrnn.runner") for d in deps)]
    assert len((PKG / "runner" / "cli.py").read_text().splitlines()) <= 250
