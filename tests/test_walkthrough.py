"""docs/data.md's walkthrough, as its commands run (fewer windows and epochs): a CSV of
sensor windows imported, trained by every trainer in both data modes, reported."""

from __future__ import annotations

import json
import sys

from helpers import ROOT, run


def test_sensor_windows_to_report(tmp_path):
    csv = tmp_path / "windows.csv"
    r = run([sys.executable, str(ROOT / "tools" / "example_sensor_windows.py"), str(csv),
             "--windows", "600"])
    assert r.returncode == 0, r.stderr
    r = run(["hdrnn-data", "import", str(tmp_path / "sensors"), "--train", str(csv),
             "--standardize"])
    assert r.returncode == 0, r.stderr
    r = run(["hdrnn-data", "verify", str(tmp_path / "sensors")])
    assert r.returncode == 0 and "96 float32 features, 3 classes" in r.stdout, r.stdout
    out = tmp_path / "results"
    r = run(["hdrnn-run", "--data", str(tmp_path / "sensors"), "--hidden", "16",
             "--hidden", "32,16", "--epochs", "2", "--reps", "1", "--data-mode", "both",
             "--out", str(out), "--quiet"], timeout=900)
    assert r.returncode == 0, r.stderr
    session = json.loads((out / "session.json").read_text())
    assert session["shape"] == {"inputs": 96, "classes": 3}
    records = [json.loads(p.read_text()) for p in (out / "runs").glob("*.json")]
    impls = {rec["impl"] for rec in records if rec.get("kind") == "bench"}
    assert {"c", "c-stream", "eigen", "eigen-stream", "numpy"} <= impls
    stream = [rec for rec in records if rec["impl"] == "c-stream"]
    assert stream and all("--data-mode" in rec["argv"] and rec["status"] == "ok"
                          for rec in stream)
    assert all(rec["start"]["data_mode"] == "stream" for rec in stream)
    r = run(["hdrnn-report", str(out)], timeout=600)
    assert r.returncode == 0, r.stderr
    index = (out / "report" / "index.md").read_text()
    assert "96-16-3" in index and "96-32-16-3" in index and "784-" not in index
    section = index.split("### Stream mode: memory saved")[1].split("###")[0]
    assert "| 96-16-3 | c |" in section and "| 96-32-16-3 | eigen |" in section
