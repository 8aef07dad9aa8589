"""Read-only access to HOME/history.db for the commands that only look (wait, report, doctor).

They never need the daemon (docs/architecture.md, "Who reads and writes the database"): a `mode=ro`
connection reads while Memory writes, thanks to WAL. Failures become one-line CogloopErrors.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ops.ground.errors import CogloopError

BUSY_TIMEOUT_S = 10.0


def no_history(path: Path) -> CogloopError:
    """The one line every read gives for a home without a database (a mistyped --home, say)."""
    return CogloopError(f"{path}: no history database here (start the daemon with `cogloop up` "
                        "or add a task first)")


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection with rows as sqlite3.Row; one clear line when it cannot be had."""
    if not path.exists():
        raise no_history(path)
    try:
        conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        conn.row_factory = sqlite3.Row
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    except sqlite3.Error as exc:
        raise CogloopError(f"{path}: cannot read the history: {exc}") from None
    if "tasks" not in names:
        conn.close()
        raise CogloopError(f"{path}: not a cogloop history (no tasks table)")
    return conn


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None
