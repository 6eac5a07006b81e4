"""Target tests drive a board (emulated or real) over its serial console through labgrid.

Enable them with an environment: `pytest tests/target --lg-env tests/target/env/X.yaml`
(qemu-sabresd.yaml needs `make test-image`; `make test` does both). Without one they skip.
"""

from __future__ import annotations

import pytest

HOW = ("no target configured: pass --lg-env tests/target/env/qemu-sabresd.yaml (after "
       "`make test-image`), board-serial.yaml or yocto-qemuarm.yaml")


@pytest.fixture(scope="session")
def shell(request):
    """A logged-in shell on the target's console (boots it the first time)."""
    if not request.config.getoption("lg_env", default=None):
        pytest.skip(HOW)
    strategy = request.getfixturevalue("strategy")
    strategy.transition("shell")
    return strategy.target.get_driver("CommandProtocol")
