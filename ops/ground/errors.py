"""The kinds of error an operator sees as one line: every layer raises these (or subclasses).

They carry no exit status: that is the CLI's business (ops/exitcodes.py maps each kind to one).
"""

from __future__ import annotations


class CogloopError(Exception):
    """An operation failed; the message is one line for the operator."""


class UsageError(CogloopError):
    """Bad arguments, bad input or bad configuration."""


class ConfigError(UsageError):
    """A configuration value is wrong; the message names the file (or variable) and the key."""


class NoDaemonError(CogloopError):
    """The command needs a running daemon and there is none at HOME."""
