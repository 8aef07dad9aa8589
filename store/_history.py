"""Named history queries for `cogloop history`: each is a view, so sqlite-utils and
Datasette answer the same question with `sqlite-utils rows HOME/history.db VIEW`."""

from __future__ import annotations

from typing import Any

from store._base import StoreBase
from store.errors import StoreError
from store.queries import HISTORY_QUERIES



class HistoryMixin(StoreBase):
    def history(self, name: str, limit: int = 20) -> list[dict[str, Any]]:
        """Rows of one named query (see HISTORY_QUERIES), at most `limit`."""
        if name not in HISTORY_QUERIES:
            raise StoreError(f"history: unknown query {name!r} (known: {', '.join(HISTORY_QUERIES)})")
        view = HISTORY_QUERIES[name][0]
        return self.rows(f"SELECT * FROM {view} LIMIT ?", [int(limit)])
