"""`Store`: the history database's one public class, assembled from one mixin per concept."""

from __future__ import annotations

from store._archive import ArchiveMixin
from store._exam import ExamMixin
from store._history import HistoryMixin
from store._queue import QueueMixin
from store._records import RecordsMixin
from store._tasks import TasksMixin


class Store(TasksMixin, QueueMixin, RecordsMixin, ArchiveMixin, HistoryMixin, ExamMixin):
    """The cogloop history in SQLite (WAL, versioned schema) through sqlite-utils.

    Open with `Store.open(path)`; every method is one transaction; every failure is a
    `StoreError` with a one-line message. See docs/contracts.md (Store API) and docs/store.md.
    """
