"""Exit codes of the trainer contract, shared by every command-line tool."""

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_RESOURCE = 4


class UsageError(Exception):
    """A bad command line (exit 2)."""
