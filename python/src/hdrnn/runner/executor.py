"""The one executor: a RunSpec in, a trainer process launched, measured (wait4: wall,
user, sys, peak RSS; measure.py), resumed from its checkpoint when it was interrupted,
and a run record out. The matrix, the agreement check, the stress search, warm-ups and
build probes all go through execute(); run_all() saves each record before the next run
starts, so an interrupted session loses at most the run in flight.
docs/runner.md describes every member of a record: what it includes, from which clock."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from .. import cachesim, contract, schema
from ..schema import Kind, RunRecord, RunSpec
from ..store import ResultsDir
from . import counters, measure, noise
from .impls import Impl
from .inflight import CHECKPOINTS, InFlight, joined
from .limits import MemoryLimit
from .progress import Progress

PROG = "hdrnn-run"


def trainer_argv(spec: RunSpec, impl: Impl, resume_from: Path | None = None) -> list[str]:
    """The trainer's whole command line for the spec (resume_from: continue it from
    that checkpoint, which holds the weights)."""
    argv = impl.argv + contract.trainer_argv(spec.data, spec.hidden, spec.epochs, spec.batch,
                                             spec.lr, spec.seed, spec.train_limit,
                                             spec.test_limit)
    if resume_from:
        argv += ["--resume-from", str(resume_from)]
    elif spec.weights_in:
        argv += ["--weights-in", spec.weights_in]
    if spec.weights_out:
        argv += ["--weights-out", spec.weights_out]
    if spec.stop_at_target and spec.target_accuracy is not None:
        argv += ["--target-accuracy", repr(spec.target_accuracy)]
    if spec.patience is not None:
        argv += ["--patience", str(spec.patience)]
    if spec.first_epoch != 1:  # a federated round's local epochs go on with the stream
        argv += ["--first-epoch", str(spec.first_epoch)]
    argv += ["--classes", str(spec.classes)]
    return argv + (["--threads", str(spec.threads)] if impl.threads else [])


def child_env(threads: int) -> dict:
    """The trainer's environment: BLAS and OpenMP pools sized to --threads."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


# How a process that ran out of memory says so when it cannot exit 4 itself: the dynamic
# loader mapping a library, OpenBLAS allocating its buffers, Python, C++ and LibTorch.
OOM_SIGNS = ("out of memory", "cannot allocate memory", "failed to map segment",
             "memory allocation", "memoryerror", "bad_alloc", "can't allocate memory",
             "cannot allocate", "not enough memory")
DISK_SIGNS = ("no space left on device", "disk quota exceeded", "file too large")


def failure_kind(m: measure.Measurement, mem_limited: bool = False) -> str | None:
    """Why a run failed, as far as its end says: timeout; disk-full (a write found no
    space: not the run's fault, --resume runs it again); out-of-memory (a loader or
    library message, exit 4 without a disk message, or SIGKILL under a memory limit: the
    OOM killer); signal; error."""
    if m.timed_out:
        return "timeout"
    tail = m.stderr_tail.lower()
    if any(sign in tail for sign in DISK_SIGNS):
        return "disk-full"
    if m.exit_code == 4 or any(sign in tail for sign in OOM_SIGNS) or \
            (mem_limited and m.signal == "SIGKILL"):
        return "out-of-memory"
    if m.signal:
        return "signal"
    return "error" if m.exit_code else None


def time_to_target(epochs: list[dict], target: float | None) -> float | None:
    """Training seconds (sum of train_s) until the test accuracy first reaches target."""
    if target is None:
        return None
    spent = 0.0
    for e in epochs:
        spent += e["train_s"]
        if e["accuracy"] >= target:
            return round(spent, 6)
    return None


def record_of(spec: RunSpec, impl: Impl, argv: list[str], m: measure.Measurement,
              before: dict, root: Path | None = None,
              resumed: list[dict] | None = None) -> RunRecord:
    """The run record (schema hdrnn.run). resumed: where the run was continued from
    checkpoints after interruptions (its events then hold every attempt's epochs; the
    times only the last attempt's)."""
    epochs = contract.epoch_events(m.events)
    start = contract.find_event(m.events, "start") or {}
    done = contract.find_event(m.events, "done")
    stopped = done.get("stopped") if done else None  # early stopping: fewer epochs
    ok = m.exit_code == 0 and done is not None and not m.bad_stdout and \
        (len(epochs) == spec.epochs or (stopped in ("target", "patience")
                                        and 0 < len(epochs) <= spec.epochs))
    status = "ok" if ok else ("timeout" if m.timed_out else "failed")
    train_s = round(sum(e["train_s"] for e in epochs), 6)
    eval_s = round(sum(e["eval_s"] for e in epochs), 6)
    hidden = list(spec.hidden)
    rec = {
        "id": spec.id, "kind": str(spec.kind), "impl": spec.impl, "hidden": hidden,
        "rep": spec.rep, "seed": spec.seed, "inputs": spec.inputs, "classes": spec.classes,
        "params": contract.param_count(hidden, spec.inputs, spec.classes),
        "epochs": spec.epochs, "batch": spec.batch, "lr": spec.lr,
        "dataset": spec.dataset, "data_dir": spec.data,
        "train_limit": spec.train_limit, "test_limit": spec.test_limit, "argv": argv,
        "binary": impl.binary, "build": impl.build_of(start),
        "status": status, "exit_code": m.exit_code, "signal": m.signal,
        # the whole process, as GNU time: wall from the runner's monotonic clock, the
        # rest from wait4
        "wall_s": round(m.wall_s, 6), "user_s": round(m.user_s, 6),
        "sys_s": round(m.sys_s, 6), "max_rss_kib": m.max_rss_kib,
        # the trainer's own clock: sums over the epochs
        "train_s": train_s if epochs else None,
        "eval_s": eval_s if epochs else None,
        "startup_s": round(max(0.0, m.wall_s - train_s - eval_s), 6) if ok else None,
        "target_accuracy": spec.target_accuracy,
        "time_to_target_s": time_to_target(epochs, spec.target_accuracy),
        "busy": noise.is_busy(m.wall_s, m.user_s, m.sys_s),
        "before": before,
        "epoch_log": epochs, "start": start,
        "final_accuracy": epochs[-1]["accuracy"] if epochs else None,
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if m.rss is not None:
        rec["rss_anon_peak_kib"] = m.rss.anon_kib
        rec["rss_file_peak_kib"] = m.rss.file_kib
        rec["rss_shmem_peak_kib"] = m.rss.shmem_kib
        rec["rss_samples"] = m.rss.samples
    if status != "ok":
        rec["failure"] = failure_kind(m, spec.mem_limit_bytes is not None) or "error"
        rec["stderr_tail"] = m.stderr_tail
        if m.bad_stdout:
            rec["bad_stdout"] = m.bad_stdout
    if m.perf is not None:
        rec["perf"] = m.perf
        rec["perf_missing"] = m.perf_missing or {}
    if m.mark is not None:  # the counts come from the emulator's host (cachesim.py)
        rec["cache_marks"] = {"boot": cachesim.boot_id(), "run": m.mark}
    if spec.weights_out:
        w = Path(spec.weights_out)
        rec["weights"] = str(w.relative_to(root)) if root and w.is_relative_to(root) \
            else str(w)
    if spec.mem_limit:
        rec["mem_limit"] = spec.mem_limit
    if stopped:
        rec["stopped"] = str(stopped)
    if resumed:
        # the last attempt's clock and process: not the run's; accuracy and RSS stand
        rec.update(resumed=resumed, train_s=None, eval_s=None, startup_s=None,
                   time_to_target_s=None)
    if spec.checkpoint_every is not None:
        rec["checkpoint_every"] = spec.checkpoint_every  # its writes are in train_s
    return RunRecord(**schema.stamp("run", rec))


def _measure(spec: RunSpec, argv: list[str], stdout: Path | None = None
             ) -> tuple[measure.Measurement, dict, str | None]:
    """(measurement, the machine's state before, the memory limit's method)."""
    limit = MemoryLimit(spec.mem_limit_bytes) if spec.mem_limit_bytes else None
    before = noise.snapshot() if spec.kind in (Kind.BENCH, Kind.FED) else {}
    m = measure.run(argv, timeout=spec.timeout_s, env=child_env(spec.threads),
                    mem_limit=limit, perf=spec.perf, stdout_path=stdout,
                    mark=cachesim.new_tag() if spec.cache_marks else None)
    return m, before, limit.method if limit else None


class Silent:
    """A progress that says nothing (probes, a Flower node)."""
    def note(self, line: str) -> None: ...
    def warn(self, line: str) -> None: ...


def execute(spec: RunSpec, impl: Impl, store: ResultsDir | None = None,
            progress: Progress | Silent = Silent()) -> RunRecord:
    """Run the spec once and return its record. With spec.checkpoint_every set and a
    store, the run is resumable: it checkpoints as it goes, and a run found interrupted
    (its checkpoint left in the store) continues from there; when that cannot be done
    (progress.warn says why) it runs again from the start."""
    root = store.root if store else None
    flight = None
    if spec.checkpoint_every is not None and store is not None:
        flight = InFlight(store.root / CHECKPOINTS, spec.id)
        flight.root.mkdir(exist_ok=True)
        flight.end_orphans()
        attempt = flight.prepare(progress)
        if attempt is not None:
            point, earlier, resumed = attempt
            rec = _attempt(spec, impl, root, flight, point, earlier, resumed)
            if rec["status"] == "ok":
                flight.clear()
                return rec
            progress.warn(f"{PROG}: {spec.id}: resuming failed ({rec.get('failure')}: "
                          f"{(rec.get('stderr_tail') or '').strip()[-160:]}); running it "
                          "again from the start")
            flight.clear()
    rec = _attempt(spec, impl, root, flight)
    if flight:
        flight.clear()
    return with_training_counters(spec, impl, rec)


def baseline_spec(spec: RunSpec, epochs: int) -> RunSpec:
    """The run's command on its first batch only, for as many epochs as the run had:
    the same start-up and the same evaluations, so that the difference is training."""
    return replace(spec, id=f"{spec.id}__baseline", epochs=epochs, train_limit=spec.batch,
                   stop_at_target=False, patience=None, weights_out=None,
                   checkpoint_every=None)


def with_training_counters(spec: RunSpec, impl: Impl, rec: RunRecord) -> RunRecord:
    """With --perf or cache marks: a baseline run of the same command on one batch
    beside the run (baseline_spec), and training's share per training sample: the
    difference over the samples trained beyond the baseline's (counters.per_sample; the
    cache's are filled in by the emulator's host, cachesim.py). Not for a run that
    failed or was resumed (its counters cover only the last attempt)."""
    if not (spec.perf or spec.cache_marks) or rec["status"] != "ok" or \
            rec.get("resumed") or not spec.epochs:
        return rec
    epochs = len(rec["epoch_log"])
    trained = int(rec["start"].get("train") or 0)
    if trained <= spec.batch:
        return rec  # nothing beyond the baseline's batch to count
    base = baseline_spec(spec, epochs)
    m, _, _ = _measure(base, trainer_argv(base, impl))
    if m.exit_code != 0:
        return rec
    samples = epochs * (trained - spec.batch)
    if m.perf is not None and rec.get("perf") is not None:
        rec["perf_baseline"] = m.perf
        rec["perf_per_sample"] = counters.per_sample(rec["perf"], m.perf, samples)
    if m.mark is not None and "cache_marks" in rec:
        rec["cache_marks"].update(baseline=m.mark, samples=samples)
    return rec


def _attempt(spec, impl, root, flight, point=None, earlier=None, resumed=None) -> dict:
    argv = trainer_argv(spec, impl, flight.checkpoint if point else None)
    if flight:
        argv += flight.trainer_args(spec.checkpoint_every)
    m, before, method = _measure(spec, argv, flight.stdout if flight else None)
    if point:
        m.events = joined(m.events, earlier)
    rec = record_of(spec, impl, argv, m, before, root, resumed)
    if method:
        rec["limit_method"] = method
    return rec


def describe(rec: dict) -> str:
    """One progress line for a finished run."""
    tag = f"{rec['impl']} h={contract.hidden_tag(rec['hidden'])} rep {rec['rep']}"
    if rec["status"] != "ok":
        why = rec.get("signal") or f"exit {rec.get('exit_code')}"
        tail = (rec.get("stderr_tail") or "").strip().splitlines()[-1:] or [""]
        return f"{tag}: {rec['status'].upper()} ({why}) {tail[0][:120]}"
    acc = rec.get("final_accuracy")
    train = rec.get("train_s")
    return (f"{tag}: ok {rec['wall_s']:.2f} s"
            + (f" (training {train:.2f} s)" if train is not None else "")
            + f", {rec['max_rss_kib'] / 1024:.1f} MiB"
            + (f", acc {acc * 100:.2f}%" if acc is not None else "")
            + (" [BUSY: waited for a CPU]" if rec.get("busy") else ""))


def is_done(rec: dict | None) -> bool:
    """Whether a stored record finishes its run for --resume: an ok run does; so does a
    stress probe that failed for its own reasons (that is its answer). A run that failed
    otherwise, or for want of disk space, runs again."""
    if rec is None or rec.get("failure") == "disk-full":
        return False
    return rec["status"] == "ok" or rec.get("kind") == Kind.STRESS


def run_all(specs: Iterable[RunSpec], impls: dict[str, Impl], store: ResultsDir,
            progress: Progress, prefix: str = "") -> list[RunRecord]:
    """Execute every spec that the store does not hold as done, saving each record
    before the next run starts; the records of all specs, in order."""
    out = []
    for spec in specs:
        rec = store.load_run(spec.id)
        if not is_done(rec):
            rec = execute(spec, impls[spec.impl], store, progress)
            store.save_run(rec)
            if rec["busy"]:
                progress.warn(f"{PROG}: warning: {rec['id']} waited "
                              f"{noise.waited_s(rec['wall_s'], rec['user_s'], rec['sys_s']):.2f}"
                              f" s for a CPU (load {rec['before'].get('loadavg')}): its times "
                              "are not to be trusted")
        progress.done(prefix + describe(rec))
        out.append(rec)
    return out


def probe(impl: Impl, data: Path, inputs: int, classes: int) -> dict:
    """The trainer's build as its start event says on a one-sample run: version,
    compiler, ISA; or why the probe failed."""
    spec = RunSpec(id=f"probe__{impl.name}", kind=Kind.PROBE, impl=impl.name, hidden=(2,),
                   rep=1, seed=1, epochs=0, batch=1, lr=3.0, data=str(data), dataset="",
                   inputs=inputs, classes=classes, train_limit=1, test_limit=1,
                   timeout_s=300)
    m, _, _ = _measure(spec, trainer_argv(spec, impl))
    start = contract.find_event(m.events, "start")
    info = contract.build_info(start) if start else {"probe_error": m.stderr_tail[-300:]}
    return {"argv": impl.argv, "binary": impl.binary, "build": impl.build_of(start or {}),
            **info}
