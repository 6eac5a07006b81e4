"""The trainer contract's command line, output and epoch loop, shared by the Python
trainers (docs/contract.md). A model supplies ``train_epoch``, ``predict`` and
``tensors``; this module does the rest."""

from __future__ import annotations

import json
import sys
import time
from typing import Callable, Protocol

import numpy as np

from . import checkpoint, contract, idx, prng, safetensors_io
from .cliutil import OneLineParser, run_main
from .errors import UsageError


class Model(Protocol):
    def train_epoch(self, features: np.ndarray, labels: np.ndarray, order: np.ndarray,
                    batch: int, lr: float) -> None: ...

    def predict(self, features: np.ndarray) -> np.ndarray: ...

    def tensors(self) -> dict[str, np.ndarray]: ...


def _positive_int(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= contract.MAX_INT:
        raise UsageError(f"{name} {value}: must be a positive integer")


def build_parser(prog: str) -> OneLineParser:
    d = contract.DEFAULTS
    p = OneLineParser(prog=prog, description="Train the HDR-NN (see docs/contract.md).")
    p.add_argument("--data", required=True, help="directory with the four IDX files")
    p.add_argument("--classes", type=int, help="the class count (default: the labels' "
                   "largest + 1)")
    p.add_argument("--data-mode", choices=("memory", "stream"), default="memory",
                   help="stream: hdrnn-c and hdrnn-eigen only")
    p.add_argument("--hidden", default=contract.hidden_arg(d["hidden"]),
                   help="hidden sizes, e.g. 30 or 128,16")
    p.add_argument("--epochs", type=int, default=d["epochs"])
    p.add_argument("--batch", type=int, default=d["batch"])
    p.add_argument("--lr", type=float, default=d["lr"])
    p.add_argument("--seed", type=int, default=d["seed"])
    p.add_argument("--train-limit", type=int)
    p.add_argument("--test-limit", type=int)
    p.add_argument("--weights-out")
    p.add_argument("--weights-in", help="initial weights (safetensors) instead of the PRNG's")
    p.add_argument("--first-epoch", type=int, default=1,
                   help="the shuffle stream's epoch to train first (default 1)")
    p.add_argument("--checkpoint", help="write the weights and the position here every "
                   "epoch (atomically; --resume-from continues from it)")
    p.add_argument("--checkpoint-every", type=int, help="and every N batches")
    p.add_argument("--resume-from", help="continue this run from its checkpoint")
    p.add_argument("--target-accuracy", type=float,
                   help="stop once an epoch's test accuracy reaches it")
    p.add_argument("--patience", type=int,
                   help="stop after N epochs without a better test accuracy")
    p.add_argument("--quiet", action="store_true", help="no diagnostics on stderr")
    return p


def parse_args(prog: str, argv: list[str] | None, extra: Callable | None = None):
    p = build_parser(prog)
    if extra:
        extra(p)
    a = p.parse_args(argv)
    a.hidden = contract.parse_hidden(a.hidden)
    for name in ("batch", "train_limit", "test_limit", "classes", "epochs", "lr", "seed",
                 "target_accuracy", "patience"):
        contract.check_bound(name, getattr(a, name))  # 0 epochs: the initial weights
    if a.data_mode == "stream":
        raise UsageError("--data-mode stream: this trainer holds the data in memory "
                         "(hdrnn-c and hdrnn-eigen stream)")
    _positive_int("--first-epoch", a.first_epoch)
    if a.first_epoch + a.epochs - 1 > contract.MAX_INT:
        raise UsageError(f"--first-epoch {a.first_epoch} with --epochs {a.epochs}: the last "
                         f"epoch must be at most {contract.MAX_INT}")
    _positive_int("--checkpoint-every", a.checkpoint_every)
    if a.checkpoint_every and not a.checkpoint:
        raise UsageError("--checkpoint-every: needs --checkpoint FILE")
    if a.resume_from is not None and (a.weights_in is not None or a.first_epoch != 1):
        raise UsageError("--resume-from: the checkpoint holds the weights and the position "
                         "(no --weights-in or --first-epoch with it)")
    for name in ("data", "weights_out", "weights_in", "checkpoint", "resume_from"):
        if getattr(a, name) == "":
            raise UsageError(f"--{name.replace('_', '-')}: empty path")
    return a


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def accuracy(model: Model, split: idx.Split) -> int:
    correct, chunk = 0, contract.EVAL_CHUNK
    for s in range(0, len(split.labels), chunk):
        out = model.predict(split.features[s:s + chunk])
        # argmax returns the lowest index on ties, as the contract says
        correct += int(np.count_nonzero(out.argmax(axis=1) == split.labels[s:s + chunk]))
    return correct


def run(impl: str, make_model: Callable[[list[tuple[np.ndarray, np.ndarray]], object], Model],
        argv: list[str] | None, extra_args: Callable | None = None,
        start_info: Callable[[object], dict] | None = None) -> int:
    prog = f"hdrnn-{impl}"

    def body(argv):
        t_start = time.monotonic()
        a = parse_args(prog, argv, extra_args)
        data = idx.load(a.data, a.train_limit, a.test_limit, a.classes)
        sizes = contract.layer_sizes(a.hidden, data.inputs, data.classes)
        n_train = len(data.train.labels)
        ident = checkpoint.identity(impl, a.hidden, a.batch, a.lr, a.seed, data.train.labels,
                                    data.train.features) \
            if a.checkpoint or a.resume_from else None
        pos = checkpoint.Position(a.first_epoch, 0)
        stop = checkpoint.EarlyStop()
        last = a.first_epoch + a.epochs - 1
        if a.resume_from:  # --epochs is the whole run's, as when it started
            params, pos, stop = checkpoint.load(a.resume_from, sizes, ident,
                                                -(-n_train // a.batch))
            last = a.epochs
        elif a.weights_in:
            params = safetensors_io.load_params(a.weights_in, sizes)
        else:
            params = prng.init_params(sizes, a.seed)
        model = make_model(params, a)
        for path in (a.checkpoint, a.weights_out):  # left by a killed run
            if path:
                checkpoint.remove_stale_temporaries(path)
        shuffler = prng.Shuffler(n_train, a.seed)
        # the order as the earlier epochs left it; mid-epoch, that epoch's own shuffle too
        order = None
        for _ in range(pos.epoch - 1 + (pos.batch > 0)):
            order = shuffler.next_epoch()
        info = {"event": "start", "impl": impl, "hidden": a.hidden,
                "params": contract.param_count(a.hidden, data.inputs, data.classes),
                "inputs": data.inputs, "classes": data.classes, "data_mode": "memory",
                "train": n_train,
                "test": len(data.test.labels), "epochs": a.epochs, "batch": a.batch,
                "lr": a.lr, "seed": a.seed}
        if start_info:
            info.update(start_info(a))
        emit(info)
        # batches are consecutive slices of the order: training the order in slices of
        # whole batches is training it at once
        step = a.batch * (a.checkpoint_every or -(-n_train // a.batch))
        for epoch in range(pos.epoch, last + 1):
            if stop.stopped:
                break
            t0 = time.monotonic()
            first = pos.batch * a.batch if epoch == pos.epoch else 0
            if first == 0:
                order = shuffler.next_epoch()
            for s in range(first, n_train, step):
                model.train_epoch(data.train.features, data.train.labels, order[s:s + step],
                                  a.batch, a.lr)
                if a.checkpoint and a.checkpoint_every and s + step < n_train:
                    checkpoint.save(a.checkpoint, model.tensors(), ident,
                                    checkpoint.Position(epoch, (s + step) // a.batch), stop)
            t1 = time.monotonic()
            correct = accuracy(model, data.test)
            t2 = time.monotonic()
            total = len(data.test.labels)
            emit({"event": "epoch", "epoch": epoch, "correct": correct, "total": total,
                  "accuracy": correct / total, "train_s": round(t1 - t0, 6),
                  "eval_s": round(t2 - t1, 6)})
            stop.after(correct, total, a.target_accuracy, a.patience)
            if a.checkpoint:
                checkpoint.save(a.checkpoint, model.tensors(), ident,
                                checkpoint.Position(epoch + 1, 0), stop)
        if a.weights_out:
            safetensors_io.save(a.weights_out, model.tensors(), {"impl": impl})
        done = {"event": "done", "seconds": round(time.monotonic() - t_start, 6)}
        emit({**done, "stopped": stop.stopped} if stop.stopped else done)
        return 0

    return run_main(prog, body, argv)
