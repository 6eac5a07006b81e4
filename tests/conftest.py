"""Shared fixtures. Helpers (trainer paths, run) live in helpers.py, which sets PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import helpers  # noqa: F401  (puts the build trees on PATH)

try:  # a test extra: the property tests skip without it
    from hypothesis import settings
except ImportError:
    pass
else:
    # Property tests draw new examples on a developer's machine; under CI=true they draw
    # the same ones every run, so that which inputs were drawn does not decide a landing.
    # Exploration (`make fuzz`, more examples) turns what it finds into fixed cases.
    settings.register_profile("ci", derandomize=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


# Tests that boot the emulated board run one after another on one xdist worker (make
# test runs two): boots are the heaviest thing a test does, and two at once would only
# slow each other. Tests marked serial measure time and run alone, after the rest.
QEMU_TESTS = ("test_pull.py", "test_power_pull.py")


def pytest_configure(config):
    config.addinivalue_line("markers", "serial: measures time; make test runs it alone, "
                                       "after the parallel part")


# The Python 3.14 pass (make test-python-sid) checks the Python code under the board's
# Python: a case that only runs a native trainer (C, Eigen, LibTorch) checks the same
# binary as the host pass did, so it is left out there.
NATIVE = {"c", "eigen", "libtorch", "c-tuned", "eigen-tuned", "c-stream", "eigen-stream"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name == "test_icount.py":
            # three minutes on one emulated board under the cache plugin: a group of its
            # own, so that it can run beside the other board's tests
            item.add_marker(pytest.mark.xdist_group("qemu-cache"))
        elif item.path.parent.name == "target" or item.path.name in QEMU_TESTS:
            item.add_marker(pytest.mark.xdist_group("qemu"))
    if os.environ.get("HDRNN_PYTHON_ONLY") == "1":
        native = [i for i in items if getattr(i, "callspec", None)
                  and i.callspec.params.get("impl") in NATIVE]
        if native:
            config.hook.pytest_deselected(items=native)
            items[:] = [i for i in items if i not in native]


@pytest.fixture(scope="session")
def mnist10k() -> Path:
    """The offline default data set, made once by `hdrnn-data get mnist-10k`."""
    r = subprocess.run(["hdrnn-data", "get", "mnist-10k"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip())
