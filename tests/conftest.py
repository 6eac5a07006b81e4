"""Shared fixtures. Helpers (trainer paths, run) live in helpers.py, which sets PATH."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import helpers  # noqa: F401  (puts the build trees on PATH)


@pytest.fixture(scope="session")
def mnist10k() -> Path:
    """The offline default data set, made once by `hdrnn-data get mnist-10k`."""
    r = subprocess.run(["hdrnn-data", "get", "mnist-10k"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip())
