"""Exit statuses of the `cogloop` command, and the error kind each one stands for.

0 done, 1 the operation failed, 2 usage or configuration error, 3 no daemon running at HOME.
Libraries raise the kinds of ops/ground/errors.py; only the CLI turns them into a status.
"""

from __future__ import annotations

from ops.ground.errors import NoDaemonError, UsageError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_DAEMON = 3


def exit_status(exc: BaseException) -> int:
    """The status for an error: 3 no daemon, 2 usage/bad input/config, else 1."""
    if isinstance(exc, NoDaemonError):
        return EXIT_NO_DAEMON
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    return EXIT_FAILED
