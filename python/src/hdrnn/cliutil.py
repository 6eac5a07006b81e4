"""What every hdrnn command line shares: one-line errors and the contract's exit codes."""

from __future__ import annotations

import argparse
import signal
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


class Interrupted(KeyboardInterrupt):
    """A signal that ends the command (SIGINT, SIGTERM, SIGHUP): raised where the
    program is, so that what is in flight is cleaned up (a trainer process is killed and
    reaped by measure.run) on the way out; exit 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(signum, _frame) -> None:
    # A second signal during the clean-up would interrupt the clean-up: one is enough.
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is _stop:
            signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def handle_signals() -> None:
    """End the command on SIGINT, SIGTERM and SIGHUP, each unless it was ignored when
    the process started: dispositions are inherited, and an ignored one (nohup ignores
    SIGHUP; a shell's background job, SIGINT) stays ignored, here and in our children."""
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) != signal.SIG_IGN:
            signal.signal(sig, _stop)


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
    except KeyboardInterrupt as e:
        signum = getattr(e, "signum", signal.SIGINT)
        sys.stderr.write(f"{prog}: interrupted ({signal.Signals(signum).name})\n")
        return 128 + signum
    except BrokenPipeError:
        return 141
    except OSError as e:
        sys.stderr.write(f"{prog}: {e.filename or ''}: {e.strerror}\n")
        return EXIT_RESOURCE
