"""Hand-corrupted results directories, generated: whatever a file holds, hdrnn-report and
hdrnn-run --resume either work or say one line (exit 3); never a traceback."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from helpers import FULL, run, trainer_cmd  # noqa: E402
from hdrnn.report import cli as report_cli  # noqa: E402
from hdrnn.report import compare as report_compare  # noqa: E402
from hdrnn.report import load as report_load  # noqa: E402
from hdrnn.report import export, tables  # noqa: E402
from hdrnn.errors import DataError  # noqa: E402
from hdrnn.runner.options import from_session  # noqa: E402

# make fuzz sets HDRNN_FUZZ_EXAMPLES (20,000): a tenth of it here, each case is a report
EXAMPLES = int(os.environ.get("HDRNN_FUZZ_EXAMPLES", "1500")) // 10

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10 ** 400, max_value=10 ** 400)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
    | st.sampled_from(["$x$", "a|b", "<script>", "ok", "failed", "check", "stress"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@pytest.fixture(scope="module")
def results(mnist10k, tmp_path_factory):
    trainer_cmd("c")
    out = tmp_path_factory.mktemp("fuzz") / "res"
    r = run(["hdrnn-run", "--impl", "c,c-stream,numpy", "--hidden", "8", "--reps", "2",
             "--epochs", "2", "--train-limit", "200", "--test-limit", "100", "--data",
             str(mnist10k), "--out", str(out), "--quiet"])
    assert r.returncode == 0, r.stderr
    return out


def _mutate(doc, path: list, value):
    """doc with the member at path (keys or indexes, followed as far as they go) set."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    key = path[0]
    if isinstance(doc, dict):
        k = key if isinstance(key, str) and key in doc else sorted(doc)[hash(key) % len(doc)]
        doc[k] = _mutate(doc[k], path[1:], value)
    else:
        i = key % len(doc) if isinstance(key, int) else 0
        doc[i] = _mutate(doc[i], path[1:], value)
    return doc


def _dump(doc) -> str:
    """JSON as Python writes it, NaN and huge integers included (a hand edit can)."""
    return json.dumps(doc, allow_nan=True, default=str)


def _render_tables(res) -> None:
    for fn in (tables.training, tables.accuracy, tables.whole_process, tables.agreement,
               tables.stress, tables.failed, tables.machine, tables.instructions):
        fn(res)
    tables.matrix(res, "train_s")
    tables.matrix(res, "max_rss_kib")
    tables.stream_mode(res)
    tables.side_by_side([res, res], "train_s")
    tables.side_by_side([res, res], "max_rss_kib", 1 / 1024)
    report_cli._warnings(res)
    report_compare.compare(res, res, 0.05)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["session.json", "run", "agreement.json", "stress.json",
                              "junk"]),
       path=st.lists(st.one_of(st.integers(0, 50), st.text(max_size=10)), max_size=4),
       value=JSON)
def test_report_and_resume_never_trace_back(results, tmp_path_factory, which, path, value):
    d = tmp_path_factory.mktemp("case") / "res"
    shutil.copytree(results, d)
    if which == "run":
        target = sorted((d / "runs").glob("c__*.json"))[0]
    elif which == "junk":
        target = d / "runs" / "junk.json"
        target.write_text("{}")
    else:
        target = d / which
        if not target.exists():
            target.write_text("{}")
    doc = json.loads(target.read_text())
    target.write_text(_dump(_mutate(doc, path, value)))
    try:
        res = report_load.load(d)
    except DataError as e:
        assert str(d) in str(e) and "\n" not in str(e)
    else:
        _render_tables(res)
        export.write_runs_csv([res], d / "runs.csv")
    try:
        info = json.loads((d / "session.json").read_text())
        from_session(d / "session.json", info, True)
    except (DataError, ValueError):
        pass


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON | st.just("(removed)"),
       key=st.sampled_from(["impl", "hidden", "wall_s", "train_s", "label", "final_accuracy",
                            "max_rss_kib", "build", "epoch_log", "user_s", "sys_s"]))
def test_full_render_never_traces_back(results, tmp_path_factory, value, key):
    d = tmp_path_factory.mktemp("render") / "res"
    shutil.copytree(results, d)
    target = sorted((d / "runs").glob("numpy__*.json"))[0]
    rec = json.loads(target.read_text())
    if value == "(removed)":
        rec.pop(key, None)
    else:
        rec[key] = value
    target.write_text(_dump(rec))
    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out):
        code = report_cli.main([str(d), "--out", str(d / "report")])
    assert code in (0, 3), err.getvalue()
    if code == 3:
        assert len(err.getvalue().strip().splitlines()) == 1


def test_huge_and_nan_numbers_are_data_errors(results, tmp_path):
    d = tmp_path / "res"
    shutil.copytree(results, d)
    target = sorted((d / "runs").glob("c__*.json"))[0]
    for bad in ("1e308", "NaN", "1" + "0" * 400):
        rec = target.read_text()
        doc = json.loads(rec)
        text = _dump(doc).replace(f'"wall_s": {json.dumps(doc["wall_s"])}', f'"wall_s": {bad}')
        target.write_text(text)
        with pytest.raises(DataError):
            report_load.load(d)
        target.write_text(rec)
    assert not math.isnan(json.loads(target.read_text())["wall_s"])


@pytest.mark.parametrize("epochs", [None, 0])
def test_runs_without_epochs_render(results, tmp_path, epochs):
    """A record's epochs is optional (found by the test above: the instructions table
    multiplied by it)."""
    d = tmp_path / "res"
    shutil.copytree(results, d)
    for p in (d / "runs").glob("*.json"):
        doc = json.loads(p.read_text())
        doc["epochs"] = epochs
        p.write_text(_dump(doc))
    _render_tables(report_load.load(d))


_GONE = object()
# One bad value of every kind a hand edit or a truncated write leaves behind.
_BAD = [_GONE, None, 0, -1, 1.5, 2 ** 70, "x", "", [], [0], {}, {"a": 1}, True, 1e308]


def _members(doc, prefix=()):
    """Every path to a member of doc (object keys and list indexes), nested ones too."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) \
        if isinstance(doc, list) else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _members(v, prefix + (k,))


def _set(doc, path: tuple, value):
    *parents, last = path
    for k in parents:
        doc = doc[k]
    if value is _GONE:
        del doc[last]
    else:
        doc[last] = value


@pytest.mark.parametrize("which", ["c", "numpy", "session", "agreement"])
def test_every_member_every_bad_value(results, tmp_path, which):
    """Not left to chance: each member of a record, one at a time, given bad values
    (or removed), loads to a DataError or renders every table and the CSV."""
    d = tmp_path / "res"
    shutil.copytree(results, d)
    target = {"session": d / "session.json", "agreement": d / "agreement.json"}.get(which) \
        or sorted((d / "runs").glob(f"{which}__*.json"))[0]
    if not target.exists():
        pytest.skip(f"{target.name} not written by this session")
    original = target.read_text()
    doc = json.loads(original)
    paths = list(_members(doc))
    assert paths
    failures = []
    for k, path in enumerate(paths):
        # every bad value on every member under make fuzz (HDRNN_FULL=1); here each
        # member takes 5 of the 14, rotating, so that every value meets every kind of
        # member (numbers, strings, lists, objects) somewhere
        values = _BAD if FULL else [_BAD[(k + j) % len(_BAD)] for j in range(0, 14, 3)]
        for value in values:
            changed = json.loads(original)
            _set(changed, path, value)
            target.write_text(_dump(changed))
            try:
                res = report_load.load(d)
            except DataError as e:
                assert "\n" not in str(e)
                continue
            try:
                _render_tables(res)
                export.write_runs_csv([res], d / "runs.csv")
            except Exception as e:  # noqa: BLE001 - the message names the case
                shown = "(removed)" if value is _GONE else repr(value)[:30]
                failures.append(f"{list(path)} = {shown}: {type(e).__name__}: {e}")
    target.write_text(original)
    assert not failures, "\n".join(failures)
