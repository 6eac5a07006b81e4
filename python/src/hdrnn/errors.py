"""The errors every hdrnn tool turns into one line on stderr and an exit code.

The trainer contract (docs/contract.md) fixes the codes: 2 bad command line, 3 bad or
missing data, 4 out of memory or another resource failure. The runner and the report
use the same codes for the same classes of failure.
"""

EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_RESOURCE = 4


class UsageError(Exception):
    """A bad command line (exit 2)."""


class DataError(Exception):
    """Bad or missing input data or result files (exit 3); the message is one line
    naming the file."""


class ResourceError(Exception):
    """Something the tool needs is not there or ran out: memory, disk, a trainer that is
    not built (exit 4)."""
