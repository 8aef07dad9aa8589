"""Opening HOME/history.db for a command: read-only for reads, read-write for write-through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ops.context import Context
from ops.readdb import no_history

if TYPE_CHECKING:
    from store import Store


def open_for_write(ctx: Context) -> "Store":
    """Read-write (creates and migrates); used only when no daemon owns the database."""
    from store import Store  # imported on use: sqlite-utils is slow to import, most commands never need it

    return Store.open(ctx.home.db, max_attempts=ctx.config.store.max_attempts, max_lost=ctx.config.store.max_lost,
                      lesson_min_uses=ctx.config.builder.lesson_min_uses)


def open_for_read(ctx: Context) -> "Store":
    """Read-only, so reads go on beside a running daemon (WAL). A read never creates a home
    or a database (a mistyped --home fails with one line, exit 1); a database written by an
    older cogloop is upgraded once instead."""
    from store import SchemaTooOld, Store, StoreMissing

    try:
        return Store.open(ctx.home.db, readonly=True)
    except StoreMissing:
        raise no_history(ctx.home.db) from None
    except SchemaTooOld:
        return open_for_write(ctx)
