"""hdrnn-report from a real, small results directory."""

import json
import shutil

import pytest

from helpers import run, trainer_cmd


@pytest.fixture(scope="module")
def results(mnist10k, tmp_path_factory):
    trainer_cmd("c")
    out = tmp_path_factory.mktemp("rep") / "res"
    r = run(["hdrnn-run", "--impl", "c,numpy", "--hidden", "8", "--hidden", "16,8",
             "--reps", "2", "--epochs", "2", "--train-limit", "400", "--test-limit", "200",
             "--data", str(mnist10k), "--out", str(out), "--quiet"])
    assert r.returncode == 0, r.stderr
    return out


def test_report_tables_and_figures(results, tmp_path):
    rep = tmp_path / "report"
    r = run(["hdrnn-report", str(results), "--out", str(rep)])
    assert r.returncode == 0, r.stderr
    md = (rep / "index.md").read_text()
    for name in ("fig6_1_accuracy_vs_params", "fig6_1_accuracy_per_epoch",
                 "fig6_2_time_vs_params", "fig6_3_rss_vs_params"):
        assert (rep / f"{name}.png").stat().st_size > 5000
        assert (rep / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    summary = md.split("### Summary")[1].split("###")[0]
    rows = [line for line in summary.splitlines() if line.startswith("| 784-")]
    assert len(rows) == 4  # 2 sizes x 2 implementations
    # table 6.4, checked by hand from the run files: 1 - lower/higher of the mean walls
    runs = [json.loads(p.read_text()) for p in (results / "runs").glob("*.json")]

    def mean_wall(impl):
        w = [r["wall_s"] for r in runs if r["impl"] == impl and r["hidden"] == [8]]
        assert len(w) == 2
        return sum(w) / 2
    c, n = mean_wall("c"), mean_wall("numpy")
    pct = (1 - min(c, n) / max(c, n)) * 100
    lower = "c" if c < n else "numpy"
    time_table = md.split("thesis table 6.4")[1].split("###")[0]
    assert f"| c vs numpy | 784-8-10 | {pct:.1f} | {lower} |" in time_table


def test_two_directories_side_by_side(results, tmp_path):
    r = run(["hdrnn-report", str(results), str(results), "--out", str(tmp_path / "r")])
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "r" / "index.md").read_text()
    assert "## Side by side" in md and "| 1.00 |" in md


@pytest.mark.parametrize("damage", ["truncated-run", "missing-session", "wrong-type",
                                    "not-json-session", "no-runs"])
def test_malformed_results_clear_error(results, tmp_path, damage):
    d = tmp_path / "copy"
    shutil.copytree(results, d)
    victim = sorted((d / "runs").glob("*.json"))[0]
    if damage == "truncated-run":
        victim.write_text(victim.read_text()[:50])
    elif damage == "missing-session":
        (d / "session.json").unlink()
    elif damage == "wrong-type":
        rec = json.loads(victim.read_text())
        rec["wall_s"] = "fast"
        victim.write_text(json.dumps(rec))
    elif damage == "not-json-session":
        (d / "session.json").write_bytes(b"\x00\x01garbage")
    else:
        shutil.rmtree(d / "runs")
    r = run(["hdrnn-report", str(d), "--out", str(tmp_path / "out")])
    assert r.returncode == 3, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert str(d) in r.stderr
