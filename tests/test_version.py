"""--version on the user commands names the one package version (SECURITY.md asks
reporters for it)."""

import pytest

from helpers import run
from hdrnn import __version__


@pytest.mark.parametrize("prog", ["hdrnn-run", "hdrnn-report", "hdrnn-data"])
def test_version(prog):
    r = run([prog, "--version"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{prog} {__version__}"
