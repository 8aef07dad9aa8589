"""Store errors: each is one line for the operator and carries the CLI exit status.

They subclass `ops.errors.CogloopError`, so the CLI prints them as `cogloop: <message>`
and exits 1 (or 2 for bad input), never with a traceback.
"""

from __future__ import annotations

from ops.errors import EXIT_USAGE, CogloopError


class StoreError(CogloopError):
    """Any failure of the history store."""


class StoreCorrupt(StoreError):
    """The file is not a SQLite database, not a cogloop one, or is damaged."""


class StoreLocked(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


class StoreFull(StoreError):
    """The disk (or the process's file-size limit) is full; the transaction was rolled back."""


class StoreIOError(StoreError):
    """The operating system refused a read or write."""


class SchemaTooNew(StoreError):
    """The database was written by a newer cogloop; refusing to touch it."""


class SchemaTooOld(StoreError):
    """A read-only open of a database that needs a migration first."""


class StoreMissing(StoreError):
    """A read-only open of a database that does not exist."""


class TaskNotFound(StoreError):
    """No task with that id."""


class TaskStateError(StoreError):
    """The operation does not apply to the task in its current status."""


class TaskInvalid(StoreError):
    """A task failed validation; `errors` holds every problem, one line each."""

    exit_status = EXIT_USAGE

    def __init__(self, errors: list[str], where: str = "task") -> None:
        self.errors = list(errors)
        super().__init__(f"{where}: invalid: {'; '.join(self.errors) or 'unknown problem'}")


class TaskFileError(StoreError):
    """A task file could not be read or parsed."""

    exit_status = EXIT_USAGE


class Forbidden(StoreError):
    """The sender may not use this operation (e.g. private task data for anyone but the scorer)."""
