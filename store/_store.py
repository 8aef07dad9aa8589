"""`Store`: the history database's one public class, assembled from one mixin per concept."""

from __future__ import annotations

from store._exam import ExamMixin
from store._history import HistoryMixin
from store._records import RecordsMixin
from store._search_stats import SearchStatsMixin
from store._tasks import TasksMixin
from store._verdict import VerdictMixin


class Store(TasksMixin, VerdictMixin, RecordsMixin, HistoryMixin, ExamMixin, SearchStatsMixin):
    """The cogloop history in SQLite (WAL, versioned schema) through sqlite-utils.

    Open with `Store.open(path)`; every method is one transaction; every failure is a
    `StoreError` with a one-line message. See docs/contracts.md (Store API) and docs/store.md.
    """
