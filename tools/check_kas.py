#!/usr/bin/env python3
"""Validate every kas file under a directory against kas's own JSON schema (from the
installed kas package), and check that each entry point's includes resolve."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import kas
import yaml


def main(root: str) -> int:
    schema = json.loads((Path(kas.__file__).parent / "schema-kas.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    repo = Path(root).resolve().parent
    bad = 0
    files = sorted(Path(root).rglob("*.yml"))
    for f in files:
        try:
            data = yaml.safe_load(f.read_text())
        except yaml.YAMLError as e:
            print(f"{f}: not YAML: {e}".replace("\n", " "), file=sys.stderr)
            bad += 1
            continue
        for err in validator.iter_errors(data):
            where = "/".join(map(str, err.absolute_path)) or "(top)"
            print(f"{f}: {where}: {err.message}", file=sys.stderr)
            bad += 1
        for inc in (data.get("header") or {}).get("includes", []):
            path = inc if isinstance(inc, str) else inc.get("file")
            if isinstance(inc, str) and not (repo / path).is_file():
                print(f"{f}: include {path} not found", file=sys.stderr)
                bad += 1
    print(f"check_kas: {len(files)} files, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "kas"))
