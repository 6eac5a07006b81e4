"""hdrnn-run: run the benchmark matrix (or the memory stress test) and write results.

Each trainer run is a separate process, measured like GNU time (wall, user, sys, peak
RSS through wait4). Results go to one directory per session: session.json, one JSON
file per run (written atomically), weights and agreement.json for --check.
Exit status: 0 when every run succeeded, 1 when some failed (the matrix still ran to
the end), 2 bad command line, 3 bad or missing data, 4 no trainer can run here.
"""

from __future__ import annotations

import hashlib
import math
import re
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path

from .. import contract, datasets, files, idx, importer, safetensors_io
from ..cliutil import add_version, OneLineParser, run_main
from ..errors import DataError, ResourceError, UsageError
from . import impls, machine, measure, presets
from .limits import parse_size
from .matrix import run_matrix
from .options import Options, StressOptions
from .session import Session
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
                   help="for time to accuracy (default per preset)")
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
    p.add_argument("--threads", type=int,
                   help="threads of every trainer's BLAS and of torch/libtorch (default 1)")
    p.add_argument("--timeout", type=float, help="seconds per run (default 3600)")
    p.add_argument("--mem-limit", help="stress: memory limit such as 256M or 1G")
    p.add_argument("--start-hidden", type=int, help="stress: first size (32)")
    p.add_argument("--max-hidden", type=int, help="stress: last size (1048576)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def resolve_data(plan: presets.Plan, data: Path | None) -> Path:
    if data:
        return data
    for candidate in (datasets.path_of(plan.dataset), SYSTEM_DATA / plan.dataset):
        if candidate.is_dir():
            return candidate
    return datasets.get(plan.dataset)


def make_plan(a) -> presets.Plan:
    for name in ("reps", "epochs", "batch", "train_limit", "test_limit", "warmup"):
        v = getattr(a, name)
        if v is not None and v < (0 if name in ("epochs", "warmup") else 1):
            raise UsageError(f"--{name.replace('_', '-')} {v}: must be a positive integer")
    if a.lr is not None and not (math.isfinite(a.lr) and a.lr > 0):
        raise UsageError(f"--lr {a.lr}: must be a positive finite number")
    if a.seed is not None and not 0 <= a.seed < contract.MAX_SEED:
        raise UsageError(f"--seed {a.seed}: must be in [0, 2^63)")
    if a.target_accuracy is not None and not 0 < a.target_accuracy <= 1:
        raise UsageError(f"--target-accuracy {a.target_accuracy}: must be in (0, 1]")
    impl_list = None
    if a.impl is not None:
        impl_list = [s.strip() for s in a.impl.split(",") if s.strip()]
        if not impl_list:
            raise UsageError(f"--impl {a.impl!r}: name at least one implementation")
        unknown = [s for s in impl_list if s not in impls.KNOWN]
        if unknown:
            raise UsageError(f"--impl: unknown implementation {unknown[0]!r} "
                             f"(known: {', '.join(impls.KNOWN)})")
    impl_list = with_data_mode(impl_list, a.data_mode)
    if a.checkpoint_every is not None and not 0 <= a.checkpoint_every <= contract.MAX_INT:
        raise UsageError(f"--checkpoint-every {a.checkpoint_every}: must be 0 or more "
                         "(batches)")
    if a.classes is not None and not 2 <= a.classes <= idx.MAX_CLASSES:
        raise UsageError(f"--classes {a.classes}: must be an integer in [2, {idx.MAX_CLASSES}]")
    hidden = [contract.parse_hidden(h) for h in a.hidden] if a.hidden else None
    plan = presets.PRESETS[a.preset or "quick"].with_overrides(
        hidden=hidden, reps=a.reps, epochs=a.epochs, batch=a.batch, lr=a.lr, seed=a.seed,
        train_limit=a.train_limit, test_limit=a.test_limit, dataset=a.dataset,
        impls=impl_list, same_seed=a.same_seed, order=a.order, warmup=a.warmup,
        target_accuracy=a.target_accuracy, check=a.check,
        weights_in=weights_path(a.weights_in), classes=a.classes,
        checkpoint_every=a.checkpoint_every)
    if a.no_checkpoints:
        plan.checkpoint_every = None
    if a.mode == "stress":
        # one short epoch per probe: memory, not accuracy, is the question
        plan = plan.with_overrides(epochs=1, reps=1, hidden=[[a.start_hidden or 32]],
                                   train_limit=a.train_limit or 100,
                                   test_limit=a.test_limit or 100)
        plan.check, plan.warmup, plan.checkpoint_every = False, 0, None
    if plan.weights_in and len(plan.hidden) != 1:
        raise UsageError(f"--weights-in: the plan has {len(plan.hidden)} network shapes; "
                         "initial weights fit one (give a single --hidden)")
    return plan


def with_data_mode(names: list[str] | None, mode: str | None) -> list[str] | None:
    """The implementations of --impl under --data-mode: stream turns c and eigen into
    c-stream and eigen-stream (naming another trainer is an error: it cannot stream);
    both adds those beside the in-memory ones."""
    if mode in (None, "memory"):
        return names
    base = names or (impls.STREAMING if mode == "stream" else impls.ALL)
    cannot = [n for n in base if n not in impls.STREAMING and mode == "stream"]
    if cannot:
        raise UsageError(f"--data-mode stream: {cannot[0]} holds the data in memory (only "
                         f"{' and '.join(impls.STREAMING)} stream; --data-mode both runs "
                         "them beside the others)")
    streams = [n + impls.STREAM_SUFFIX for n in base if n in impls.STREAMING]
    return streams if mode == "stream" else list(dict.fromkeys(base + streams))

def weights_path(given: str | None) -> str | None:
    if given is None:
        return None
    if not given.strip():
        raise UsageError("--weights-in: empty path")
    return str(Path(given).absolute())  # the runs may start in another directory


def check_weights_in(plan: presets.Plan, shape: tuple[int, int]) -> dict:
    """--weights-in must fit the plan's one network on this data (shape: its inputs and
    classes), checked before any run; its path and the sha256 of the very bytes checked,
    for session.json (--resume refuses a changed file)."""
    blob = files.read_file(Path(plan.weights_in), "a safetensors file")
    tensors, _ = safetensors_io.parse(blob, plan.weights_in)
    safetensors_io.params_of(plan.weights_in, tensors,
                             contract.layer_sizes(plan.hidden[0], *shape))
    return {"path": plan.weights_in, "sha256": hashlib.sha256(blob).hexdigest()}


def data_shape(data: Path, plan: presets.Plan) -> tuple[int, int]:
    """(inputs, classes) of the data as every run will see it; the classes of the plan,
    else of import.json (hdrnn-data import --classes may exceed the labels), else of the
    labels. Bad data fails here, with the data's own message."""
    classes = plan.classes
    rec = data / importer.IMPORT_JSON
    if classes is None and rec.is_file():
        c = files.read_json(rec, "an import.json").get("classes")
        classes = c if isinstance(c, int) and 2 <= c <= idx.MAX_CLASSES else None
    d = idx.load(data, 1, 1, classes)
    return d.inputs, d.classes


# Options that only some modes use: given elsewhere they would be ignored, so they are
# refused instead. With --resume everything but --quiet comes from session.json.
STRESS_ONLY = ("mem_limit", "start_hidden", "max_hidden")
MATRIX_ONLY = ("reps", "same_seed", "order", "warmup", "target_accuracy", "check",
               "check_seeds", "perf", "weights_in", "checkpoint_every", "no_checkpoints")
RESUMABLE = ("quiet", "resume", "mode")


def refuse_ignored(a) -> None:
    given = [k for k, v in vars(a).items() if v is not None and v is not False
             and k not in RESUMABLE]
    if a.resume:
        if given or a.mode != "run":
            what = "stress" if a.mode != "run" else "--" + given[0].replace("_", "-")
            raise UsageError(f"{what}: a resumed session keeps the options it was started "
                             "with (only --quiet may be given with --resume)")
        return
    unused = STRESS_ONLY if a.mode == "run" else MATRIX_ONLY
    for k in given:
        if k in unused:
            raise UsageError(f"--{k.replace('_', '-')}: not used by hdrnn-run {a.mode}")


def _positive(name: str, v) -> None:
    if v is not None and v < 1:
        raise UsageError(f"--{name} {v}: must be a positive integer")


def make_options(a) -> Options:
    if a.out is not None and not str(a.out).strip():
        raise UsageError("--out: empty path")
    _positive("threads", a.threads)
    _positive("check-seeds", a.check_seeds)
    timeout = 3600.0 if a.timeout is None else a.timeout
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"--timeout {a.timeout}: must be a positive number of seconds")
    if a.native_bin is not None and not a.native_bin.is_dir():
        raise UsageError(f"--native-bin {a.native_bin}: not a directory (of hdrnn-c, "
                         "hdrnn-eigen, hdrnn-libtorch)")
    stress = None
    if a.mode == "stress":
        if not a.mem_limit:
            raise UsageError("stress needs --mem-limit, e.g. --mem-limit 256M")
        try:
            limit = parse_size(a.mem_limit)
        except ValueError as e:
            raise UsageError(f"--mem-limit {e}") from None
        start = 32 if a.start_hidden is None else a.start_hidden
        top = (1 << 20) if a.max_hidden is None else a.max_hidden
        if not 1 <= start <= top <= contract.MAX_LAYER_WIDTH:
            raise UsageError(f"--start-hidden {start} --max-hidden {top}: need 1 <= start "
                             f"<= max <= {contract.MAX_LAYER_WIDTH}")
        stress = StressOptions(a.mem_limit, limit, start, top)
    return Options(mode=a.mode, perf=bool(a.perf), threads=a.threads or 1, timeout=timeout,
                   quiet=a.quiet, check_seeds=a.check_seeds or 1,
                   native_bin=str(a.native_bin.resolve()) if a.native_bin else None,
                   stress=stress)


def emulation(qemu: str | None) -> dict | None:
    """What the report needs to say of an emulated machine. Under QEMU's -icount with
    shift=0 every guest instruction advances the guest clock by 1 ns, so times are
    instruction counts (in units of 1e9)."""
    if not qemu:
        return None
    m = re.search(r"-icount[ =](\S+)", qemu)
    icount = m.group(1) if m else None
    exact = icount is not None and "shift=0" in icount.split(",")
    return {"qemu": qemu, "icount": icount, "instructions": exact,
            "description": "emulated Cortex-A9, 1 instruction = 1 ns" if exact
            else "emulated (no -icount shift=0: times are the emulator's, not the board's)"}


def default_out(plan_name: str, mode: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path("results") / f"{stamp}-{plan_name}{'-stress' if mode == 'stress' else ''}"


def new_session(a, opts: Options, plan: presets.Plan, data: Path, shape, weights_in,
                available, skipped) -> tuple[Session, Options]:
    """Create the results directory and its session.json: the plan, the options, and
    the machine and trainer builds the results were measured on."""
    perf_ok, perf_why = measure.perf_available() if opts.perf else (False, "not requested")
    if opts.perf and not perf_ok:
        print(f"{PROG}: --perf: {perf_why}; runs go on without counters", file=sys.stderr)
    info = {
        "preset": plan.name, "plan": plan.__dict__, "data_dir": str(data),
        "data": datasets.verify_manifest(data),
        "shape": {"inputs": shape[0], "classes": shape[1]},
        "weights_in": weights_in,
        "label": a.label,
        "emulated": emulation(a.emulated),
        **opts.session_fields(),
        "perf": {"requested": opts.perf, "available": perf_ok, "reason": perf_why},
        "machine": machine.machine_info(),
        "rss_method": measure.rss_method(),
        "skipped": {s.name: s.reason for s in skipped},
        "trainers": impls.describe_builds(available, data),
    }
    session = Session.create(Path(a.out) if a.out else default_out(plan.name, opts.mode), info)
    return session, Options.from_session(info, a.quiet)


def _main(argv: list[str] | None) -> int:
    a = build_parser().parse_args(argv)
    refuse_ignored(a)
    if a.resume:
        session, info = Session.open(a.resume)
        plan = presets.Plan.from_dict(info["plan"])
        data = Path(info["data_dir"])
    else:
        plan = make_plan(a)
        opts = make_options(a)  # a bad option is refused before any data is fetched
        data = resolve_data(plan, a.data)
    shape = data_shape(data, plan)
    plan.inputs, plan.classes = shape  # every run is told the class count: one shape
    weights_in = check_weights_in(plan, shape) if plan.weights_in else None
    if a.resume:  # the data must still be what the session started with
        now = datasets.verify_manifest(data)["files"]
        if isinstance(info.get("data"), dict) and info["data"].get("files") not in (None, now):
            raise DataError(f"{data}: the data changed since this session started "
                            "(sha256 differs from session.json)")
        if weights_in and weights_in["sha256"] != info["weights_in"]["sha256"]:
            raise DataError(f"{plan.weights_in}: the initial weights changed since this "
                            "session started (sha256 differs from session.json)")
    native_bin = info.get("native_bin") if a.resume else a.native_bin
    available, skipped = impls.discover(plan.impls, Path(native_bin) if native_bin else None)
    for s in skipped:
        print(f"{PROG}: skipping {s.name}: {s.reason}", file=sys.stderr)
    if not available:
        raise ResourceError("no implementation is available to run")
    if a.resume:
        opts = Options.from_session(info, a.quiet)
    else:
        session, opts = new_session(a, opts, plan, data, shape, weights_in, available,
                                    skipped)
    print(f"{PROG}: results in {session.root}", file=sys.stderr)
    if opts.mode == "stress":
        return run_stress(opts, plan, session, available, data)
    return run_matrix(opts, plan, session, available, data)


def _terminate(signum, _frame):
    raise KeyboardInterrupt  # unwinds through measure.run, which ends the trainer


def main(argv: list[str] | None = None) -> int:
    # SIGHUP: a dropped ssh or serial session. Like SIGTERM the run in flight ends with the
    # runner (its trainer is killed, not left running); --resume finishes the rest. For
    # multi-hour presets run under nohup, tmux or screen (docs/runner.md).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    return run_main(PROG, _main, argv)


if __name__ == "__main__":
    sys.exit(main())
