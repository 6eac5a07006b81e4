"""The results schema (docs/runner.md): what a run is asked to do (RunSpec), and every
JSON file hdrnn-run writes, each named and versioned ("schema": "hdrnn.run",
"schema_version": 2). Readers take the current version and every earlier one (version
1: the files written before schemas, which carry neither member), upgrading them here
and nowhere else; an unknown name or version is one DataError naming the file.

Kept free of the runner (no processes, no files): the report, a Flower node and a board
farm read results through this module and store.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypedDict

from .errors import DataError

VERSION = 2
VERSIONS = (1, 2)  # what this hdrnn reads
FILES = ("session", "run", "agreement", "stress", "inflight", "probe", "federation")


class Kind(StrEnum):
    """Why a run was made: only bench runs are the matrix the report times."""
    BENCH = "bench"
    WARMUP = "warmup"    # unrecorded, brings data and code into the caches
    CHECK = "check"      # the agreement check's short runs, with weights
    STRESS = "stress"    # the memory search's probes
    PROBE = "probe"      # one sample, to read a trainer's build
    FED = "fed"          # a federated round's local training


KIND_NAMES = tuple(k.value for k in Kind)
STATUSES = ("ok", "failed", "timeout", "corrupt")


@dataclass(frozen=True)
class RunSpec:
    """One trainer run, whole: the executor needs nothing else. Paths are as the
    machine running it sees them."""
    id: str
    kind: Kind
    impl: str
    hidden: tuple[int, ...]
    rep: int
    seed: int
    epochs: int
    batch: int
    lr: float
    data: str                    # the data directory
    dataset: str                 # its name in the plan
    inputs: int
    classes: int
    train_limit: int | None = None
    test_limit: int | None = None
    weights_in: str | None = None
    weights_out: str | None = None
    checkpoint_every: int | None = None  # resumable when not None (needs a store)
    target_accuracy: float | None = None  # time to it is read off the epochs
    stop_at_target: bool = False         # and the trainer stops there
    patience: int | None = None          # the trainer stops after N epochs, no better
    first_epoch: int = 1                 # the shuffle stream's epoch to start from (fed)
    timeout_s: float = 3600.0
    threads: int = 1
    perf: bool = False
    cache_marks: bool = False            # hdrnn-mark around it (QEMU's cache plugin)
    mem_limit: str | None = None         # as given, such as 256M
    mem_limit_bytes: int | None = None


class RunRecord(TypedDict, total=False):
    """A run record as runs/ID.json holds it (flat JSON, docs/runner.md says what each
    member includes and from which clock): what the executor returns and readers get."""
    schema: str
    schema_version: int
    id: str
    kind: str                  # Kind
    impl: str
    hidden: list[int]
    rep: int
    seed: int
    inputs: int
    classes: int
    params: int
    epochs: int
    batch: int
    lr: float
    dataset: str
    data_dir: str
    train_limit: int | None
    test_limit: int | None
    argv: list[str]
    binary: str | None
    build: str
    status: str                # STATUSES
    exit_code: int | None
    signal: str | None
    failure: str               # timeout, disk-full, out-of-memory, signal, error
    stderr_tail: str
    wall_s: float              # runner's monotonic clock, start to exit
    user_s: float              # wait4
    sys_s: float               # wait4
    max_rss_kib: int           # wait4's high-water mark
    rss_anon_peak_kib: int     # sampled from /proc
    rss_file_peak_kib: int
    rss_shmem_peak_kib: int
    rss_samples: int
    train_s: float | None      # the trainer's clock: sum of its epochs' train_s
    eval_s: float | None
    startup_s: float | None    # wall - train - eval
    target_accuracy: float | None
    time_to_target_s: float | None
    busy: bool
    before: dict               # load and governor before the run (noise.py)
    epoch_log: list[dict]
    start: dict
    final_accuracy: float | None
    stopped: str               # early stopping: target, patience
    utc: str
    weights: str
    mem_limit: str
    limit_method: str
    perf: dict                 # counters.py: {event: count or None}, the whole run
    perf_missing: dict         # {event: why perf gave no count}
    perf_baseline: dict        # the same command on one batch (counters.baseline_spec)
    perf_startup: dict         # older records: the same command with --epochs 0
    perf_per_sample: dict      # (perf - perf_baseline) / samples trained beyond it
    cache_marks: dict          # {boot, run, baseline}: the hdrnn-mark tags of both runs
    cache: dict                # QEMU's cache plugin between the run's marks (cachesim.py)
    cache_baseline: dict       # the same for the baseline run
    cache_per_sample: dict     # (cache - cache_baseline) / samples trained beyond it
    resumed: list[dict]
    checkpoint_every: int


def stamp(name: str, doc: dict) -> dict:
    """doc with its schema name and the current version in front."""
    assert name in FILES
    return {"schema": f"hdrnn.{name}", "schema_version": VERSION, **doc}


def version_of(path: Path, doc, name: str) -> int:
    """The schema version of doc, a file of the given kind, or DataError."""
    if not isinstance(doc, dict):
        raise DataError(f"{path}: not an hdrnn {name} file (not a JSON object)")
    if "schema" not in doc and "schema_version" not in doc:
        return 1
    if doc.get("schema") != f"hdrnn.{name}":
        raise DataError(f"{path}: schema {doc.get('schema')!r:.40} is not hdrnn.{name}")
    v = doc.get("schema_version")
    if isinstance(v, bool) or v not in VERSIONS:
        raise DataError(f"{path}: schema version {v!r:.20} of hdrnn.{name} is not one this "
                        f"hdrnn reads ({', '.join(map(str, VERSIONS))}); a newer hdrnn "
                        "wrote it")
    return v


# --- run records: validated once, so that no reader meets a type it does not expect --

def _number(path: Path, doc: dict, key: str, optional: bool, top: float = 1e12) -> None:
    v = doc.get(key)
    if v is None and optional:
        return
    # comparisons first: an integer beyond float range (10**400) must not overflow
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= top \
            or not math.isfinite(v):
        raise DataError(f"{path}: {key!r} must be a finite number in [0, {top:g}] "
                        f"(got {v!r:.40})")


def _integer(path: Path, doc: dict, key: str, optional: bool, low: int = 0) -> None:
    v = doc.get(key)
    if v is None and optional:
        return
    if not isinstance(v, int) or isinstance(v, bool) or v < low or v > 2 ** 64:
        raise DataError(f"{path}: {key!r} must be an integer >= {low} (got {v!r:.40})")


def _typed(path: Path, doc: dict, key: str, types: tuple, optional: bool = True) -> None:
    v = doc.get(key)
    if (v is None and optional) or (isinstance(v, types) and not isinstance(v, bool)) or \
            (bool in types and isinstance(v, bool)):
        return
    names = "/".join(t.__name__ for t in types)
    raise DataError(f"{path}: {key!r} must be {names} (got {type(v).__name__})")


def hidden_ok(h) -> bool:
    return isinstance(h, list) and bool(h) and all(
        isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 2 ** 31 for n in h)


# The members of a run record beyond id/impl/status/hidden, by type; the CSV export
# takes its columns from the same record.
RUN_NUMBERS = ("user_s", "sys_s", "train_s", "eval_s", "startup_s", "time_to_target_s",
               "rss_anon_peak_kib", "rss_file_peak_kib", "rss_shmem_peak_kib")
RUN_INTEGERS = ("seed", "epochs", "batch", "inputs", "classes")
RUN_STRINGS = ("build", "binary", "signal", "stderr_tail", "dataset", "utc", "weights",
               "failure", "stopped")
RUN_COLUMNS = ["id", "kind", "impl", "network", "params", "rep", "seed", "status",
               "exit_code", "signal", "failure", "build", "binary", "epochs", "batch", "lr",
               "dataset", "wall_s", "user_s", "sys_s", "train_s", "eval_s", "startup_s",
               "max_rss_kib", "rss_anon_peak_kib", "rss_file_peak_kib", "final_accuracy",
               "target_accuracy", "time_to_target_s", "busy", "utc"]


def run_record(path: Path, run) -> RunRecord:
    """A run record read from path, checked and upgraded to the current version (kind
    bench where version 1 had none; train_s from the epochs where it predates the time
    split); DataError naming the file and the member otherwise."""
    version = version_of(path, run, "run")
    for key in ("id", "impl", "status"):
        if not isinstance(run.get(key), str) or not run[key]:
            raise DataError(f"{path}: {key!r} must be a non-empty string")
    if run["status"] not in STATUSES:
        raise DataError(f"{path}: unknown status {run['status']!r:.40}")
    if version == 1 and run.get("kind") is None:
        run["kind"] = Kind.BENCH.value
    if not isinstance(run.get("kind"), str) or run["kind"] not in KIND_NAMES:
        raise DataError(f"{path}: unknown kind {run.get('kind')!r:.40}")
    if not hidden_ok(run.get("hidden")):
        raise DataError(f"{path}: 'hidden' must be a list of positive integers")
    _integer(path, run, "rep", False)
    _integer(path, run, "params", False)
    _number(path, run, "wall_s", False)
    _number(path, run, "max_rss_kib", False)
    for key in RUN_NUMBERS:
        _number(path, run, key, True)
    _number(path, run, "target_accuracy", True, 1.0)
    _number(path, run, "final_accuracy", True, 1.0)
    for key in RUN_INTEGERS:
        _integer(path, run, key, True, 1 if key in ("batch", "inputs", "classes") else 0)
    for key in RUN_STRINGS:
        _typed(path, run, key, (str,))
    _typed(path, run, "exit_code", (int,))
    _typed(path, run, "busy", (bool,))
    _typed(path, run, "start", (dict,))
    _typed(path, run, "cache_marks", (dict,))
    _typed(path, run, "resumed", (list,))
    start = run.get("start") or {}
    _integer(path, start, "train", True)
    for key in ("perf", "perf_baseline", "perf_startup", "perf_per_sample", "cache",
                "cache_baseline", "cache_per_sample"):
        _typed(path, run, key, (dict,))
        for event in (run.get(key) or {}):
            _number(path, run[key], event, True, 1e18)
    log = run.setdefault("epoch_log", [])  # the figures index it
    if not isinstance(log, list) or not all(isinstance(e, dict) for e in log):
        raise DataError(f"{path}: 'epoch_log' must be a list of objects")
    for e in log:
        _number(path, e, "accuracy", False, 1.0)
        _number(path, e, "train_s", False)
    if run["status"] == "ok" and run["kind"] == Kind.BENCH:
        if log and run.get("final_accuracy") is None:
            raise DataError(f"{path}: 'final_accuracy' must be a number in [0, 1]")
        if run.get("train_s") is None and log and not run.get("resumed"):
            run["train_s"] = sum(e["train_s"] for e in log)  # before the time split
    return run


def session_header(path: Path, session) -> dict:
    """session.json as the report reads it (the runner's resume checks its plan too)."""
    version_of(path, session, "session")
    if not isinstance(session.get("machine"), dict):
        raise DataError(f"{path}: not an hdrnn-run session (no 'machine' object)")
    for key in ("label", "rss_method", "preset", "data_dir"):
        _typed(path, session, key, (str,))
    for key in ("trainers", "skipped", "emulated", "plan", "perf", "cache_marks",
                "cache_sim"):
        _typed(path, session, key, (dict,))
    emu = session.get("emulated") or {}
    for key in ("qemu", "icount", "description"):
        _typed(path, emu, key, (str,))
    _typed(path, emu, "instructions", (bool,))
    return session


def agreement(path: Path, doc) -> dict | None:
    """agreement.json, or None for the pre-check format (final-weight 'pairs' only)."""
    if isinstance(doc, dict) and "pairs" in doc and "rows" not in doc:
        return None
    version_of(path, doc, "agreement")
    rows = doc.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataError(f"{path}: 'rows' must be a list of objects")
    for r in rows:
        _number(path, r, "max_abs", True, math.inf)
        _number(path, r, "tolerance", True)
        _typed(path, r, "ok", (bool,))
        if r.get("hidden") is not None and not hidden_ok(r["hidden"]):
            raise DataError(f"{path}: 'hidden' must be a list of positive integers")
    return doc


def stress(path: Path, doc) -> dict:
    version_of(path, doc, "stress")
    if not all(k in doc for k in ("impls", "mem_limit")):
        raise DataError(f"{path}: not an hdrnn-run stress file (needs impls, mem_limit)")
    if not isinstance(doc["impls"], dict) or not all(
            isinstance(v, dict) for v in doc["impls"].values()):
        raise DataError(f"{path}: 'impls' must map implementations to objects")
    for key in ("mem_limit", "method"):
        _typed(path, doc, key, (str,))
    return doc


def federation(path: Path, doc) -> dict:
    """federation.json (hdrnn-run fed, fed/records.py): the settings and the rounds."""
    version_of(path, doc, "federation")
    if not isinstance(doc.get("settings"), dict) or not isinstance(doc.get("rounds"), list) \
            or not all(isinstance(r, dict) for r in doc["rounds"]):
        raise DataError(f"{path}: not an hdrnn federation file (needs settings, rounds)")
    for n, r in enumerate(doc["rounds"], 1):
        _integer(path, r, "round", False, 1)
        if r["round"] != n:
            raise DataError(f"{path}: round {r['round']} where round {n} belongs")
        _number(path, r, "accuracy", True, 1)
        _number(path, r, "cost", True, math.inf)
        for key in ("wall_s", "bytes_sent", "bytes_received"):
            _number(path, r, key, True)
        if not isinstance(r.get("clients", []), list):
            raise DataError(f"{path}: round {n}: 'clients' must be a list")
    _typed(path, doc, "last_weights", (str,))
    return doc
