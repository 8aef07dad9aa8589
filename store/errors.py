"""Store errors: each is one line for the operator.

They subclass the ground's error kinds (`ops.ground.errors`): bad input is a `UsageError`, the
rest a `CogloopError`. The store knows nothing of exit statuses; the CLI maps the kinds.
"""

from __future__ import annotations

from ops.ground.errors import CogloopError, UsageError


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


class AmbiguousId(StoreError, UsageError):
    """An id prefix that matches more than one task; the message lists them."""


class TaskStateError(StoreError):
    """The operation does not apply to the task in its current status."""


class ExamFixed(StoreError, UsageError):
    """The exam is sealed: it never changes once created."""


class TaskInvalid(StoreError, UsageError):
    """A task failed validation; `errors` holds every problem, one line each."""

    def __init__(self, errors: list[str], where: str = "task") -> None:
        self.errors = list(errors)
        super().__init__(f"{where}: invalid: {'; '.join(self.errors) or 'unknown problem'}")


class TaskFileError(StoreError, UsageError):
    """A task file could not be read or parsed."""
