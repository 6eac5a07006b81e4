"""Progress: a tqdm bar with ETA on a terminal, one plain line per run elsewhere
(serial consoles and CI logs cannot redraw a bar)."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total, self.count, self.quiet = total, 0, quiet
        self.bar = None
        if not quiet and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm:
                self.bar = tqdm(total=total, unit="run", file=sys.stderr)

    def done(self, line: str) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.set_postfix_str(line[:60])
            self.bar.update(1)
        elif not self.quiet:
            print(f"[{self.count}/{self.total}] {line}", file=sys.stderr, flush=True)

    def skip(self, n: int) -> None:
        """Count n runs that will not happen (stress stops at the first failure)."""
        self.count += n
        if self.bar is not None and n:
            self.bar.update(n)

    def note(self, line: str) -> None:
        if not self.quiet:
            self.warn(line)

    def warn(self, line: str) -> None:
        """A line that --quiet does not silence (a run not to be trusted)."""
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def say(line: str, quiet: bool = False) -> None:
    """A note on stderr outside any progress bar."""
    if not quiet:
        print(line, file=sys.stderr, flush=True)
