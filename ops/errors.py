"""Errors the CLI turns into one line on stderr and an exit status (DESIGN.md, CLI contracts)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_DAEMON = 3


class CogloopError(Exception):
    """An operation failed: one line for the operator, exit status 1."""

    exit_status = EXIT_FAILED


class UsageError(CogloopError):
    """Bad arguments or bad configuration: exit status 2."""

    exit_status = EXIT_USAGE


class ConfigError(UsageError):
    """A configuration value is wrong; the message names the file (or variable) and the key."""


class NoDaemonError(CogloopError):
    """The command needs a running daemon and there is none at HOME: exit status 3."""

    exit_status = EXIT_NO_DAEMON
