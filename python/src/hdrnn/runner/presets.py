"""The benchmark presets. Every knob can be overridden on the command line."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .seeds import rep_seed

THESIS_SIZES = [[2], [4], [8], [32], [128], [32, 16], [128, 16]]
ORDERS = ("interleaved", "grouped", "random")


@dataclass
class Plan:
    name: str
    hidden: list[list[int]]
    reps: int
    epochs: int
    dataset: str
    batch: int = 10
    lr: float = 3.0
    seed: int = 1
    train_limit: int | None = None
    test_limit: int | None = None
    impls: list[str] | None = None  # None: every available implementation
    same_seed: bool = False         # every repetition with `seed` (timing studies)
    order: str = "interleaved"      # of the runs: see matrix.jobs
    warmup: int = 0                 # unrecorded runs per implementation first
    target_accuracy: float | None = None  # for time to accuracy
    stop_at_target: bool = False    # and every run stops there (--target-accuracy given)
    patience: int | None = None     # every run stops after N epochs without a better one
    check: bool = False             # the agreement check before the matrix
    weights_in: str | None = None   # every run's initial weights (else the PRNG init)
    classes: int | None = None      # every run's --classes (else the data's label count)
    inputs: int | None = None       # the data's input width (set when the data is read)
    # resumable runs: every run checkpoints at epoch ends and every N batches (0: epoch
    # ends only; None: no checkpoints, an interrupted run starts over)
    checkpoint_every: int | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        """The plan a session.json stored; members this version does not know (such as
        the retired 'extra') are ignored, so older sessions resume."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def with_overrides(self, **kw) -> "Plan":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def seed_of(self, rep: int) -> int:
        return self.seed if self.same_seed else rep_seed(self.seed, rep)


PRESETS = {
    # The thesis' experiment: the seven sizes, 10 repetitions of 30 epochs, full MNIST.
    # 60,000 samples are 6,000 batches an epoch: a checkpoint every 1,000 of them, so a
    # board that reboots loses at most that much of the run in flight.
    "thesis": Plan("thesis", THESIS_SIZES, reps=10, epochs=30, dataset="mnist",
                   target_accuracy=0.90, check=True, checkpoint_every=1000),
    # The default on a host: minutes, offline.
    "quick": Plan("quick", [[8], [32], [128], [32, 16]], reps=2, epochs=3,
                  dataset="mnist-10k", target_accuracy=0.80, check=True),
    # The emulated Cortex-A9 (make bench-target): the thesis sizes, short enough for
    # emulation under the cache plugin (one epoch of 500 samples: 50 batches).
    "target": Plan("target", THESIS_SIZES, reps=1, epochs=1, dataset="mnist-10k",
                   train_limit=500, test_limit=250, impls=["c", "eigen", "numpy",
                                                           "numpy-sample"]),
    # Seconds: for boot tests on an emulated or real board.
    "smoke": Plan("smoke", [[30]], reps=1, epochs=1, dataset="mnist-10k",
                  train_limit=1000, test_limit=500, target_accuracy=0.30),
}

# What a correct smoke run shows, on a host, the emulated board or a Yocto image: the
# board tests (tests/target, the layer's oeqa case) all check these. With the contract's
# seed one epoch on 1,000 samples reaches 35.6 % on every implementation; chance is
# 10 %, so 25 % separates a trainer that learns from one that does not, with room for
# float drift. Peak RSS (wait4): a native trainer holds 1,500 images and a 24k-parameter
# net (~3 MiB with libc); Python with NumPy stays under 64 MiB.
SMOKE_CHECKS = {
    "min_accuracy": 0.25,
    "max_rss_mib": {"c": 16, "eigen": 16, "libtorch": 256, "numpy": 64,
                    "numpy-sample": 64, "torch": 512},
}
