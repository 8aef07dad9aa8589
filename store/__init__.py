"""cogloop's history store: SQLite through sqlite-utils, with the task queue.

    from store import Store, TaskInvalid, StoreError
    with Store.open(home / "history.db") as s:
        tid = s.add_task({...})
        lease = s.lease("builder-1", ttl_s=900)
"""

from store._store import Store
from store.errors import (Forbidden, SchemaTooNew, SchemaTooOld, StoreCorrupt, StoreError, StoreFull, StoreIOError, StoreLocked,
                          StoreMissing, TaskFileError, TaskInvalid, TaskNotFound, TaskStateError)
from store.schema import SCHEMA_VERSION
from store.taskspec import load_task_file, normalize_task, public_view, validate_task

__all__ = [
    "Store", "StoreError", "StoreCorrupt", "StoreLocked", "StoreFull", "StoreIOError", "StoreMissing",
    "SchemaTooNew", "SchemaTooOld", "Forbidden", "TaskInvalid", "TaskNotFound", "TaskStateError", "TaskFileError", "SCHEMA_VERSION",
    "validate_task", "normalize_task", "public_view", "load_task_file",
]
