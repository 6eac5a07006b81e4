"""The trainer contract (docs/contract.md) as code: network shape, command-line limits
and defaults, trainer argv, output events and tensor names. Every Python trainer, the
runner and the report take these from here; the C trainers from native/common/hdrnn_contract.h.
"""

from __future__ import annotations

import json
import math
from typing import Iterable, Sequence

from .errors import UsageError

# MNIST's shape: the input width and class count of the thesis' network (other data sets
# bring their own: idx.Dataset.inputs and .classes).
INPUTS = 784
CLASSES = 10

# Command-line limits, the same in every trainer. This file is their one source: CMake
# reads these lines (NAME = literal) into the native trainers' hdrnn_limits.h, so they
# stay plain literals.
MAX_HIDDEN_LAYERS = 8
MAX_LAYER_WIDTH = 1000000
MAX_SEED = 9223372036854775808   # 2^63: seeds are in [0, 2^63)
MAX_INT = 2147483647             # 2^31 - 1: --epochs, --batch, limits, --threads
MAX_LR = 3.4028234663852886e38   # float32's largest: the step lr / B must be a float
MAX_CLASSES = 256                # labels are bytes

# The thesis' settings are the defaults.
DEFAULTS = {"hidden": [30], "epochs": 30, "batch": 10, "lr": 3.0, "seed": 1}

# Test samples per evaluation step of the epoch loop: bounds the float copy of the test
# images. A kernel may split a step further (hdrnn-c evaluates in its batch buffers).
EVAL_CHUNK = 1000

# An implementation run with --data-mode stream is named NAME-stream in a session.
STREAM_SUFFIX = "-stream"

# The bounded options of every trainer: (low, high, what). A value outside is exit 2.
# The runner checks its own options against the same table before it writes anything.
BOUNDS = {
    "epochs": (0, MAX_INT, "an integer"),
    "batch": (1, MAX_INT, "an integer"),
    "train_limit": (1, MAX_INT, "an integer"),
    "test_limit": (1, MAX_INT, "an integer"),
    "seed": (0, MAX_SEED - 1, "an integer"),
    "classes": (2, MAX_CLASSES, "an integer"),
    "threads": (1, 1024, "an integer"),
    "checkpoint_every": (0, MAX_INT, "an integer (batches)"),
    "patience": (1, MAX_INT, "an integer (epochs)"),
}

# Members of the start event that describe the run; the others describe the build.
START_RUN_KEYS = frozenset({"event", "impl", "hidden", "params", "inputs", "classes",
                            "data_mode", "train", "test", "epochs", "batch", "lr", "seed"})


def check_bound(name: str, value) -> None:
    """UsageError naming the option, its value and the allowed range, unless value is
    None or within BOUNDS[name]; lr is (0, MAX_LR] and finite, target_accuracy (0, 1]."""
    if value is None:
        return
    flag = "--" + name.replace("_", "-")
    if name == "target_accuracy":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not 0 < value <= 1:
            raise UsageError(f"{flag} {value!r}: must be a number in (0, 1]")
        return
    if name == "lr":
        if not (isinstance(value, (int, float)) and math.isfinite(value)
                and 0 < value <= MAX_LR):
            raise UsageError(f"{flag} {value!r}: must be a positive finite number in "
                             f"(0, {MAX_LR:.6g}]")
        return
    low, high, what = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{flag} {value!r:.40}: must be {what} in [{low}, {high}]")


def parse_events(text: str) -> tuple[list[dict], str | None]:
    """A trainer's stdout as the contract's JSON events, one a line; with the first line
    that is not one (None when all are)."""
    events = []
    for line in text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            return events, line[:200]
        if not isinstance(e, dict):
            return events, line[:200]
        events.append(e)
    return events, None


def parse_hidden(text: str) -> list[int]:
    """'30' or '128,16' -> [30] or [128, 16]; UsageError outside the contract's limits."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise UsageError(f"--hidden {text!r}: expected sizes like 30 or 128,16") from None
    if not sizes or any(s < 1 for s in sizes):
        raise UsageError(f"--hidden {text!r}: every layer needs at least one neuron")
    if any(s > MAX_LAYER_WIDTH for s in sizes):
        raise UsageError(f"--hidden {text!r}: at most {MAX_LAYER_WIDTH} neurons per layer")
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise UsageError(f"--hidden {text!r}: at most {MAX_HIDDEN_LAYERS} hidden layers")
    return sizes


def hidden_arg(hidden: Sequence[int]) -> str:
    """The --hidden value of a size list: [128, 16] -> '128,16'."""
    return ",".join(map(str, hidden))


def hidden_tag(hidden: Sequence[int]) -> str:
    """The hidden sizes in file names and run ids: [128, 16] -> '128-16'."""
    return "-".join(map(str, hidden))


def layer_sizes(hidden: Sequence[int], inputs: int = INPUTS,
                classes: int = CLASSES) -> list[int]:
    return [inputs, *hidden, classes]


def network_label(hidden: Sequence[int], inputs: int = INPUTS, classes: int = CLASSES) -> str:
    """The network as the thesis names it: [30] -> '784-30-10'."""
    return hidden_tag(layer_sizes(hidden, inputs, classes))


def network_of(record: dict) -> str:
    """The label of a run record's network: its hidden sizes on its data's shape (runs
    recorded before own data sets had the thesis' MNIST shape)."""
    return network_label(record.get("hidden") or [0], record.get("inputs") or INPUTS,
                         record.get("classes") or CLASSES)


def param_count(hidden: Sequence[int], inputs: int = INPUTS, classes: int = CLASSES) -> int:
    sizes = layer_sizes(hidden, inputs, classes)
    return sum(o * i + o for i, o in zip(sizes[:-1], sizes[1:]))


def flops_per_sample(hidden: Sequence[int], batch: int, inputs: int = INPUTS,
                     classes: int = CLASSES) -> float:
    """Multiplies and adds of the algorithm per training sample (exp/sigmoid and the
    elementwise sigmoid-derivative products not counted): forward 2*in*out per layer;
    weight gradient 2*in*out per layer; the delta propagated to the previous layer
    2*in*out for every layer but the first; the update w -= step * g, 2 per parameter,
    once per batch."""
    sizes = layer_sizes(hidden, inputs, classes)
    total = 0.0
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        total += 2 * n_in * n_out * (3 if layer > 0 else 2)
    return total + 2 * param_count(hidden, inputs, classes) / batch


def weight_name(layer: int) -> str:
    return f"layers.{layer}.weight"     # [out, in]


def bias_name(layer: int) -> str:
    return f"layers.{layer}.bias"       # [out]


def tensors_of(params: Iterable[tuple]) -> dict:
    """The contract's safetensors names for (weight [out, in], bias [out]) pairs."""
    out = {}
    for i, (w, b) in enumerate(params):
        out[weight_name(i)] = w
        out[bias_name(i)] = b
    return out


def trainer_argv(data, hidden: Sequence[int], epochs: int, batch: int, lr: float, seed: int,
                 train_limit: int | None = None, test_limit: int | None = None) -> list[str]:
    """The contract's command line for one run (after the trainer's own argv)."""
    args = ["--data", str(data), "--hidden", hidden_arg(hidden), "--epochs", str(epochs),
            "--batch", str(batch), "--lr", repr(lr), "--seed", str(seed)]
    if train_limit:
        args += ["--train-limit", str(train_limit)]
    if test_limit:
        args += ["--test-limit", str(test_limit)]
    return args


def find_event(events: list[dict], name: str) -> dict | None:
    """The first output event of the given kind ('start', 'done'), or None."""
    return next((e for e in events if e.get("event") == name), None)


def epoch_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("event") == "epoch"]


def build_info(start: dict) -> dict:
    """What a start event says about the trainer's build (compiler, ISA, versions)."""
    return {k: v for k, v in start.items() if k not in START_RUN_KEYS}
