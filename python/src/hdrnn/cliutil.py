"""What every hdrnn command line shares: one-line errors and the contract's exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, NoReturn

from .errors import EXIT_DATA, EXIT_RESOURCE, EXIT_USAGE, DataError, ResourceError, UsageError


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(EXIT_USAGE)


def add_version(p: argparse.ArgumentParser) -> None:
    """--version: the package version (what a bug or security report should name)."""
    from . import __version__
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")


def run_main(prog: str, body: Callable[[list[str] | None], int],
             argv: list[str] | None) -> int:
    """Run ``body`` and turn the expected failures into one line and an exit code."""
    try:
        return body(argv)
    except UsageError as e:
        sys.stderr.write(f"{prog}: error: {e}\n")
        return EXIT_USAGE
    except DataError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return EXIT_DATA
    except ResourceError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return EXIT_RESOURCE
    except MemoryError:
        sys.stderr.write(f"{prog}: out of memory\n")
        return EXIT_RESOURCE
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except BrokenPipeError:
        return 141
    except OSError as e:
        sys.stderr.write(f"{prog}: {e.filename or ''}: {e.strerror}\n")
        return EXIT_RESOURCE
