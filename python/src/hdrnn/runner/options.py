"""What hdrnn-run was asked to do: the plan (presets.py) and the options beside it, each
checked against its bounds before anything is written (exit 2, one line naming the
option, the value and the allowed range), frozen, and stored in session.json so that
--resume continues with the same ones. A stored session is checked by the same code
(a damaged one is exit 3 naming the file)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from .. import contract
from ..errors import DataError, UsageError
from . import impls
from .limits import parse_size
from .presets import ORDERS, PRESETS, Plan

# The runner's own bounds, beside the contract's (contract.BOUNDS):
# - repetitions: each has its own seed window, distinct below 2^23 (seeds.py); 10,000
#   repetitions of the thesis' matrix are already weeks of board time;
# - a timeout of more than 10^7 s (16 weeks) is no timeout.
RUNNER_BOUNDS = {"reps": (1, 10000), "warmup": (0, 100), "check_seeds": (1, 100),
                 "start_hidden": (1, contract.MAX_LAYER_WIDTH),
                 "max_hidden": (1, contract.MAX_LAYER_WIDTH)}
MAX_TIMEOUT = 1e7


def check(name: str, value) -> None:
    """UsageError unless value (None: not given) is within name's bounds."""
    if name not in RUNNER_BOUNDS:
        return contract.check_bound(name, value)
    low, high = RUNNER_BOUNDS[name]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not low <= value <= high):
        raise UsageError(f"--{name.replace('_', '-')} {value!r:.40}: must be an integer "
                         f"in [{low}, {high}]")


def check_plan(plan: Plan) -> None:
    """Every member of a plan (a preset with overrides, or one read back from
    session.json) within the contract's and the runner's bounds."""
    if not isinstance(plan.hidden, list) or not plan.hidden:
        raise UsageError("--hidden: the plan needs at least one network")
    for h in plan.hidden:
        if not isinstance(h, list) or not all(isinstance(n, int) and not isinstance(n, bool)
                                              for n in h):
            raise UsageError(f"--hidden {h!r:.40}: expected sizes like 30 or 128,16")
        contract.parse_hidden(contract.hidden_arg(h))
    for name in ("epochs", "batch", "lr", "seed", "train_limit", "test_limit", "classes",
                 "checkpoint_every", "reps", "warmup", "patience", "target_accuracy"):
        check(name, getattr(plan, name))
    if plan.inputs is not None and (not isinstance(plan.inputs, int)
                                    or not 1 <= plan.inputs <= contract.MAX_LAYER_WIDTH):
        raise UsageError(f"inputs {plan.inputs!r:.40}: must be in [1, "
                         f"{contract.MAX_LAYER_WIDTH}]")
    for key in ("same_seed", "check", "stop_at_target"):
        if not isinstance(getattr(plan, key), bool):
            raise UsageError(f"{key} {getattr(plan, key)!r:.20}: must be true or false")
    if plan.order not in ORDERS:
        raise UsageError(f"--order {plan.order!r:.40}: one of {', '.join(ORDERS)}")
    if not isinstance(plan.name, str) or not isinstance(plan.dataset, str):
        raise UsageError("the plan's name and dataset must be strings")
    if plan.impls is not None and (not isinstance(plan.impls, list) or not plan.impls or
                                   any(i not in impls.KNOWN for i in plan.impls)):
        raise UsageError(f"--impl {plan.impls!r:.60}: unknown implementation (known: "
                         f"{', '.join(impls.KNOWN)})")
    if plan.weights_in is not None:
        if not isinstance(plan.weights_in, str) or not plan.weights_in.strip():
            raise UsageError("--weights-in: empty path")
        if len(plan.hidden) != 1:
            raise UsageError(f"--weights-in: the plan has {len(plan.hidden)} network "
                             "shapes; initial weights fit one (give a single --hidden)")


@dataclass(frozen=True)
class StressOptions:
    mem_limit: str          # as given, e.g. "256M"
    mem_limit_bytes: int
    start_hidden: int
    max_hidden: int

    def sizes(self) -> list[int]:
        """start, 2 start, 4 start, ... up to max (start >= 1)."""
        out, h = [], self.start_hidden
        while h <= self.max_hidden:
            out.append(h)
            h *= 2
        return out


@dataclass(frozen=True)
class Options:
    mode: str = "run"       # run: the matrix; stress: the memory search
    perf: bool = False      # perf counters requested (and available)
    cache_marks: bool = False  # every run under hdrnn-mark (QEMU's cache plugin)
    threads: int = 1
    timeout: float = 3600.0
    quiet: bool = False
    check_seeds: int = 1    # seeds of the agreement check (the first repetitions')
    native_bin: str | None = None  # the only place native trainers are taken from
    stress: StressOptions | None = None

    def session_fields(self) -> dict:
        """The members session.json keeps (quiet is per invocation, not per session)."""
        out = {"mode": self.mode, "threads": self.threads, "timeout_s": self.timeout,
               "check_seeds": self.check_seeds, "native_bin": self.native_bin}
        if self.stress:
            out["stress"] = asdict(self.stress)
        return out

    def check(self) -> "Options":
        check("threads", self.threads)
        check("check_seeds", self.check_seeds)
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, (int, float)) or \
                not (math.isfinite(t) and 0 < t <= MAX_TIMEOUT):
            raise UsageError(f"--timeout {t!r:.40}: must be seconds in (0, {MAX_TIMEOUT:g}]")
        if self.mode not in ("run", "stress"):
            raise UsageError(f"mode {self.mode!r:.40}: run or stress")
        if self.native_bin is not None and not isinstance(self.native_bin, str):
            raise UsageError("--native-bin: must be a path")
        st = self.stress
        if self.mode == "stress":
            if st is None:
                raise UsageError("stress needs --mem-limit, e.g. --mem-limit 256M")
            check("start_hidden", st.start_hidden)
            check("max_hidden", st.max_hidden)
            if st.start_hidden > st.max_hidden:
                raise UsageError(f"--start-hidden {st.start_hidden} --max-hidden "
                                 f"{st.max_hidden}: start must not exceed max")
            parse_size(st.mem_limit)
        return self

    @classmethod
    def from_session(cls, info: dict, quiet: bool) -> "Options":
        stress = info.get("stress")
        perf = info.get("perf")
        return cls(mode=info.get("mode", "run"),
                   perf=bool(perf.get("available")) if isinstance(perf, dict) else False,
                   cache_marks=isinstance(info.get("cache_marks"), dict),
                   threads=info.get("threads", 1), timeout=info.get("timeout_s", 3600.0),
                   quiet=quiet, check_seeds=info.get("check_seeds", 1),
                   native_bin=info.get("native_bin"),
                   stress=StressOptions(**stress) if stress else None).check()


def from_session(path: Path, info: dict, quiet: bool) -> tuple[Plan, Options]:
    """The plan and options a session.json stored, checked as a command line would be;
    a hand-edited or damaged file is one DataError naming it."""
    if not isinstance(info, dict) or not isinstance(info.get("plan"), dict):
        raise DataError(f"{path}: no 'plan' object")
    if not isinstance(info.get("data_dir"), str) or not info["data_dir"]:
        raise DataError(f"{path}: no 'data_dir'")
    try:
        plan = Plan.from_dict(info["plan"])
        check_plan(plan)
        if plan.weights_in is not None and not (
                isinstance(info.get("weights_in"), dict)
                and isinstance(info["weights_in"].get("sha256"), str)):
            raise UsageError("'weights_in' has no sha256")
        return plan, Options.from_session(info, quiet)
    except (UsageError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise DataError(f"{path}: a plan or option that cannot be resumed ({e})") from None


# --- the command line -------------------------------------------------------------

# Options that only some modes use: given elsewhere they would be ignored, so they are
# refused instead. With --resume everything but --quiet comes from session.json.
STRESS_ONLY = ("mem_limit", "start_hidden", "max_hidden")
MATRIX_ONLY = ("reps", "same_seed", "order", "warmup", "target_accuracy", "patience", "check",
               "check_seeds", "perf", "cache_marks", "weights_in", "checkpoint_every",
               "no_checkpoints")
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
    streams = [n + contract.STREAM_SUFFIX for n in base if n in impls.STREAMING]
    return streams if mode == "stream" else list(dict.fromkeys(base + streams))


def _impl_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise UsageError(f"--impl {text!r}: name at least one implementation")
    unknown = [s for s in names if s not in impls.KNOWN]
    if unknown:
        raise UsageError(f"--impl: unknown implementation {unknown[0]!r} "
                         f"(known: {', '.join(impls.KNOWN)})")
    return names


def make_plan(a) -> Plan:
    """The preset with the command line's overrides, checked whole (the preset's own
    values too)."""
    hidden = [contract.parse_hidden(h) for h in a.hidden] if a.hidden else None
    if a.weights_in is not None and not a.weights_in.strip():
        raise UsageError("--weights-in: empty path")
    # the runs may start in another directory
    weights_in = str(Path(a.weights_in).absolute()) if a.weights_in else None
    given = {f.name: getattr(a, f.name) for f in fields(Plan)
             if f.name not in ("name", "hidden", "impls", "weights_in", "inputs")
             and hasattr(a, f.name)}
    if a.target_accuracy is not None:  # given: every run stops there
        given["stop_at_target"] = True
    plan = PRESETS[a.preset or "quick"].with_overrides(
        hidden=hidden, impls=with_data_mode(_impl_list(a.impl), a.data_mode),
        weights_in=weights_in, **given)
    if a.no_checkpoints:
        plan = replace(plan, checkpoint_every=None)
    if a.mode == "stress":
        # one short epoch per probe: memory, not accuracy, is the question
        plan = replace(plan.with_overrides(epochs=1, reps=1, hidden=[[a.start_hidden or 32]],
                                           train_limit=a.train_limit or 100,
                                           test_limit=a.test_limit or 100),
                       check=False, warmup=0, checkpoint_every=None)
    check_plan(plan)
    return plan


def make_options(a) -> Options:
    if a.out is not None and not str(a.out).strip():
        raise UsageError("--out: empty path")
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
        top = contract.MAX_LAYER_WIDTH if a.max_hidden is None else a.max_hidden
        stress = StressOptions(a.mem_limit, limit, 32 if a.start_hidden is None
                               else a.start_hidden, top)
    return Options(mode=a.mode, perf=bool(a.perf), cache_marks=bool(a.cache_marks),
                   threads=1 if a.threads is None
                   else a.threads, timeout=3600.0 if a.timeout is None else a.timeout,
                   quiet=a.quiet, check_seeds=1 if a.check_seeds is None else a.check_seeds,
                   native_bin=str(a.native_bin.resolve()) if a.native_bin else None,
                   stress=stress).check()


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
