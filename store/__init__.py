"""cogloop's history store: SQLite through sqlite-utils, with the task queue.

    from store import Store, TaskInvalid, StoreError
    with Store.open(home / "history.db") as s:
        tid = s.add_task({...})
        lease = s.lease("builder-1", ttl_s=900)
"""

from typing import TYPE_CHECKING, Any

from store.errors import (AmbiguousId, ExamFixed, SchemaTooNew, SchemaTooOld, StoreCorrupt, StoreError, StoreFull, StoreIOError, StoreLocked,
                          StoreMissing, TaskFileError, TaskInvalid, TaskNotFound, TaskStateError)
from store.taskspec import load_task_file, normalize_task, public_view, validate_task

if TYPE_CHECKING:
    from store._store import Store


def __getattr__(name: str) -> Any:
    """`Store` and `SCHEMA_VERSION` load sqlite-utils (and numpy with it): only on first use, so
    CLI commands that never open the database start fast."""
    if name == "Store":
        from store._store import Store
        return Store
    if name == "SCHEMA_VERSION":
        from store.schema import SCHEMA_VERSION
        return SCHEMA_VERSION
    raise AttributeError(f"module 'store' has no attribute {name!r}")

__all__ = [
    "Store", "StoreError", "AmbiguousId", "ExamFixed", "StoreCorrupt", "StoreLocked", "StoreFull", "StoreIOError", "StoreMissing",
    "SchemaTooNew", "SchemaTooOld", "TaskInvalid", "TaskNotFound", "TaskStateError", "TaskFileError", "SCHEMA_VERSION",
    "validate_task", "normalize_task", "public_view", "load_task_file",
]
