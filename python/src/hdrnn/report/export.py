"""runs.csv: every run of every directory, one row each, for spreadsheets."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..contract import network_of
from ..files import write_atomic
from ..schema import RUN_COLUMNS
from .load import Results

COLUMNS = ["source", *RUN_COLUMNS]


def write_runs_csv(results: list[Results], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for res in results:
        for r in res.runs:
            row = dict(r, source=res.label, network=network_of(r))
            # a spreadsheet runs a cell starting with = + - @ as a formula: quote it
            w.writerow([_cell(row.get(c)) for c in COLUMNS])
    write_atomic(path, [buf.getvalue().encode()])


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v
