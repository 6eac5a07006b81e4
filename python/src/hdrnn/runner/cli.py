"""hdrnn-run: run the benchmark matrix (or the memory stress test) and write results.

Each trainer run is a separate process, measured like GNU time (wall, user, sys, peak
RSS through wait4). Results go to one directory per session: session.json, one JSON
file per run (written atomically), weights and agreement.json for --check.
Exit status: 0 when every run succeeded, 1 when some failed (the matrix still ran to
the end), 2 bad command line (nothing written), 3 bad or missing data, 4 no trainer can
run here or a resource ran out, 128 + N ended by signal N (130 Ctrl-C, 143 SIGTERM).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from .. import cachesim, contract, datasets, files, idx, importer, safetensors_io
from ..cliutil import add_version, handle_signals, OneLineParser, run_main
from ..errors import DataError, ResourceError, UsageError
from ..probe import inventory
from ..store import ResultsDir
from . import impls, machine, measure, options, presets
from .executor import probe
from .matrix import run_matrix
from .options import Options
from .stress import run_stress

PROG = "hdrnn-run"
SYSTEM_DATA = Path("/usr/share/hdrnn")  # where the Yocto image installs data sets


def build_parser() -> OneLineParser:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n\n")[0])
    add_version(p)
    p.add_argument("mode", nargs="?", default="run", choices=["run", "stress"],
                   help="run: the benchmark matrix; stress: double the hidden size "
                        "until a run fails under --mem-limit")
    p.add_argument("--preset", choices=sorted(presets.PRESETS), help="default: quick")
    p.add_argument("--impl", help="comma-separated implementations "
                                  f"({','.join(impls.KNOWN)}); default: all available")
    p.add_argument("--data-mode", choices=("memory", "stream", "both"),
                   help="stream: the trainers that can (c, eigen) read each batch from "
                        "the files, as c-stream and eigen-stream; both: these beside the "
                        "in-memory runs (default memory)")
    p.add_argument("--classes", type=int,
                   help="the class count of every run (default: the data's, from its "
                        "labels or the import.json of hdrnn-data import)")
    p.add_argument("--hidden", action="append", help="hidden sizes, repeatable: "
                                                     "--hidden 30 --hidden 128,16")
    p.add_argument("--reps", type=int)
    p.add_argument("--same-seed", action="store_true", default=None,
                   help="every repetition with --seed (timing studies); default: each "
                        "repetition its own seed (docs/runner.md)")
    p.add_argument("--order", choices=presets.ORDERS,
                   help="order of the runs (default interleaved: every implementation "
                        "once per round)")
    p.add_argument("--warmup", type=int, help="unrecorded runs per implementation first")
    p.add_argument("--target-accuracy", type=float,
                   help="every run stops once its test accuracy reaches this, and the "
                        "report compares time to it (without it: the preset's target, "
                        "read off the epochs, no run stopped)")
    p.add_argument("--patience", type=int,
                   help="every run stops after N epochs without a better test accuracy")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--weights-in",
                   help="every run starts from these weights (safetensors, the contract's "
                        "tensors) instead of the PRNG init; one network shape (--hidden)")
    ck = p.add_mutually_exclusive_group()
    ck.add_argument("--checkpoint-every", type=int, metavar="N",
                    help="resumable runs: each run checkpoints at epoch ends and every N "
                         "batches (0: epoch ends only), and --resume continues the run in "
                         "flight from there (default: the thesis preset 1000, others off)")
    ck.add_argument("--no-checkpoints", action="store_true", default=None,
                    help="no checkpoints: an interrupted run starts over")
    p.add_argument("--train-limit", type=int)
    p.add_argument("--test-limit", type=int)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--data", type=Path, help="directory with the four IDX files")
    g.add_argument("--dataset", choices=datasets.NAMES, help="a named data set")
    o = p.add_mutually_exclusive_group()
    o.add_argument("--out", help="new results directory")
    o.add_argument("--resume", type=Path, help="finish the missing runs of a session")
    c = p.add_mutually_exclusive_group()
    c.add_argument("--check", action="store_true", default=None,
                   help="the agreement check before the matrix (default: per preset)")
    c.add_argument("--no-check", dest="check", action="store_false")
    p.add_argument("--check-seeds", type=int, help="seeds of the agreement check (1)")
    p.add_argument("--label", help="a name for this session's column in reports")
    p.add_argument("--emulated", metavar="QEMU_COMMAND",
                   help="record that this machine is emulated, and how (make "
                        "bench-target passes its QEMU command line)")
    p.add_argument("--native-bin", type=Path,
                   help="take the native trainers from this directory and nowhere else")
    p.add_argument("--perf", action="store_true", default=None,
                   help="perf stat counters per run")
    p.add_argument("--cache-marks", action="store_true", default=None,
                   help="run each trainer under hdrnn-mark for QEMU's cache plugin "
                        "(make bench-target reads the counts on the host)")
    p.add_argument("--threads", type=int,
                   help="threads of every trainer's BLAS and of torch/libtorch (default 1)")
    p.add_argument("--timeout", type=float, help="seconds per run (default 3600)")
    p.add_argument("--mem-limit", help="stress: memory limit such as 256M or 1G")
    p.add_argument("--start-hidden", type=int, help="stress: first size (32)")
    p.add_argument("--max-hidden", type=int,
                   help=f"stress: last size ({contract.MAX_LAYER_WIDTH})")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def resolve_data(plan: presets.Plan, data: Path | None) -> Path:
    if data:
        return data
    for candidate in (datasets.path_of(plan.dataset), SYSTEM_DATA / plan.dataset):
        if candidate.is_dir():
            return candidate
    return datasets.get(plan.dataset)


def check_weights_in(plan: presets.Plan) -> dict:
    """--weights-in must fit the plan's one network on this data, checked before any
    run; its path and the sha256 of the very bytes checked, for session.json (--resume
    refuses a changed file)."""
    blob = files.read_file(Path(plan.weights_in), "a safetensors file")
    tensors, _ = safetensors_io.parse(blob, plan.weights_in)
    safetensors_io.params_of(plan.weights_in, tensors,
                             contract.layer_sizes(plan.hidden[0], plan.inputs, plan.classes))
    return {"path": plan.weights_in, "sha256": hashlib.sha256(blob).hexdigest()}


def with_data_shape(data: Path, plan: presets.Plan) -> presets.Plan:
    """The plan with the data's inputs and classes, as every run will see them: the
    plan's classes, else import.json's (hdrnn-data import --classes may exceed the
    labels), else the labels'. Bad data, or labels beyond the plan's classes, fail here
    with the data's own message, before any run."""
    classes = plan.classes
    rec = data / importer.IMPORT_JSON
    if classes is None and rec.is_file():
        c = files.read_json(rec, "an import.json").get("classes")
        classes = c if isinstance(c, int) and 2 <= c <= contract.MAX_CLASSES else None
    d = idx.load(data, 1, 1, classes)
    return replace(plan, inputs=d.inputs, classes=d.classes)


def default_out(plan_name: str, mode: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path("results") / f"{stamp}-{plan_name}{'-stress' if mode == 'stress' else ''}"


def new_session(a, opts: Options, plan: presets.Plan, data: Path, weights_in,
                available, skipped) -> tuple[ResultsDir, Options]:
    """Create the results directory and its session.json: the plan, the options, and
    the machine and trainer builds the results were measured on. The options come back
    with perf set only where perf can count."""
    if opts.cache_marks and not shutil.which(measure.MARK):
        raise UsageError(f"--cache-marks: {measure.MARK} is not installed here (it is part "
                         "of the emulated board's image: make bench-target)")
    perf_ok, perf_why = measure.perf_available() if opts.perf else (False, "not requested")
    if opts.perf and not perf_ok:
        print(f"{PROG}: --perf: {perf_why}; runs go on without counters", file=sys.stderr)
    info = {
        "preset": plan.name, "plan": plan.__dict__, "data_dir": str(data),
        "data": datasets.verify_manifest(data),
        "shape": {"inputs": plan.inputs, "classes": plan.classes},
        "weights_in": weights_in,
        "label": a.label,
        "emulated": options.emulation(a.emulated),
        **opts.session_fields(),
        "perf": {"requested": opts.perf, "available": perf_ok, "reason": perf_why},
        "cache_marks": {"boot": cachesim.boot_id()} if opts.cache_marks else None,
        "machine": machine.machine_info(),
        "inventory": inventory(),  # hdrnn-probe: SoC, storage, kernel, counters
        "rss_method": measure.rss_method(),
        "skipped": {s.name: s.reason for s in skipped},
        "trainers": {i.name: probe(i, data, plan.inputs, plan.classes) for i in available},
    }
    store = ResultsDir.create(Path(a.out) if a.out else default_out(plan.name, opts.mode),
                              info)
    return store, replace(opts, perf=perf_ok)


def _main(argv: list[str] | None) -> int:
    a = build_parser().parse_args(argv)
    options.refuse_ignored(a)
    if a.resume:
        store, info = ResultsDir.open(a.resume)
        plan, opts = options.from_session(a.resume / "session.json", info, a.quiet)
        data = Path(info["data_dir"])
    else:
        opts = options.make_options(a)  # every option is checked before data is fetched
        plan = options.make_plan(a)
        data = resolve_data(plan, a.data)
    plan = with_data_shape(data, plan)
    weights_in = check_weights_in(plan) if plan.weights_in else None
    if a.resume:  # the data must still be what the session started with
        now = datasets.verify_manifest(data)["files"]
        if isinstance(info.get("data"), dict) and info["data"].get("files") not in (None, now):
            raise DataError(f"{data}: the data changed since this session started "
                            "(sha256 differs from session.json)")
        if weights_in and weights_in["sha256"] != info["weights_in"]["sha256"]:
            raise DataError(f"{plan.weights_in}: the initial weights changed since this "
                            "session started (sha256 differs from session.json)")
    native_bin = opts.native_bin
    available, skipped = impls.discover(plan.impls, Path(native_bin) if native_bin else None)
    for s in skipped:
        print(f"{PROG}: skipping {s.name}: {s.reason}", file=sys.stderr)
    if not available:
        raise ResourceError("no implementation is available to run")
    if not a.resume:
        store, opts = new_session(a, opts, plan, data, weights_in, available, skipped)
    print(f"{PROG}: results in {store.root}", file=sys.stderr)
    if opts.mode == "stress":
        return run_stress(opts, plan, store, available, data)
    return run_matrix(opts, plan, store, available, data)


def main(argv: list[str] | None = None) -> int:
    # SIGINT, SIGTERM and SIGHUP (a dropped ssh or serial session) end the run in flight
    # (its trainer is killed, not left running) and the runner, 128 + N; --resume
    # finishes the rest. A signal that was ignored when we started (nohup, a detached
    # job) stays ignored: the session goes on (docs/runner.md).
    handle_signals()
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["fed"]:  # federated training on Flower (docs/federated.md)
        from ..fed.cli import PROG as FED, main_fed  # Flower only where it is used
        return run_main(FED, main_fed, args[1:])
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
