"""The connection-owning core of `Store`: open (with migrations), close, transactions, clock."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from store import schema
from store._db import connect, guarded, immediate, iso
from store.lessons import DEFAULT_MIN_USES
from store.errors import SchemaTooOld


def dumps(value: Any) -> str:
    """JSON for a map column: compact, key-sorted (stable for diffs and exports)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def loads(text: str | None, default: Any = None) -> Any:
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except ValueError:  # a hand-edited row: show it rather than fail the whole read
        return text


def new_id() -> str:
    return uuid.uuid4().hex


def _cell(value: Any) -> Any:
    """A value as SQLite stores it: maps and lists as JSON text (as sqlite-utils would)."""
    return json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else value


class StoreBase:
    """Owns one sqlite-utils Database. Not thread-safe: one Store per thread or process."""

    def __init__(self, db: sqlite_utils.Database, path: Path, *, readonly: bool,
                 busy_timeout_s: float, max_attempts: int, clock: Callable[[], float], max_lost: int = 5,
                 lesson_min_uses: int = DEFAULT_MIN_USES) -> None:
        self.db = db
        self.path = path
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self.max_attempts = max_attempts
        self.max_lost = max_lost
        self.lesson_min_uses = lesson_min_uses
        self.clock = clock

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False, create: bool = True,
             busy_timeout_s: float = 5.0, max_attempts: int = 3, max_lost: int = 5,
             lesson_min_uses: int = DEFAULT_MIN_USES, clock: Callable[[], float] = time.time):
        """Open (creating and migrating unless read-only) the history at `path`.

        `max_attempts`: the default for tasks that do not set theirs; `max_lost`: attempts a task
        may lose without a verdict before it ends as `error` (store/_rules.py);
        `lesson_min_uses`: judged attempts per side before a lesson in trial is decided (store/lessons.py).

        A read-only open of a database older than this code refuses to guess: it raises
        `StoreError` asking for one read-write open (any write command) to upgrade it.
        """
        path = Path(path)
        db = connect(path, readonly=readonly, create=create, busy_timeout_s=busy_timeout_s)
        try:
            with guarded(path, busy_timeout_s):
                if readonly:
                    v = schema.check_version(db, path)
                    if v < schema.SCHEMA_VERSION:
                        raise SchemaTooOld(f"{path}: schema version {v} is older than "
                                         f"{schema.SCHEMA_VERSION}; open it read-write once to upgrade")
                else:
                    cls._migrate(db, path, busy_timeout_s)
        except BaseException:
            db.close()
            raise
        return cls(db, path, readonly=readonly, busy_timeout_s=busy_timeout_s,
                   max_attempts=max_attempts, max_lost=max_lost, lesson_min_uses=lesson_min_uses, clock=clock)

    @staticmethod
    def _migrate(db: sqlite_utils.Database, path: Path, busy_timeout_s: float) -> None:
        if not schema.pending(db, path):
            return
        # Foreign keys off while the schema changes (SQLite's documented way to rebuild a table:
        # no checks or actions fire on the copy; rows stay exactly as they were).
        db.execute("PRAGMA foreign_keys=OFF")
        try:
            with immediate(db, path, busy_timeout_s):
                # Re-read inside the write lock: another process may have migrated meanwhile.
                for target, migration in schema.pending(db, path):
                    migration(db)
                    db.execute(f"PRAGMA user_version = {int(target)}")
        finally:
            db.execute("PRAGMA foreign_keys=ON")

    @property
    def schema_version(self) -> int:
        return schema.version(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> str:
        return iso(self.clock())

    def at(self, offset_s: float) -> str:
        return iso(self.clock() + offset_s)

    def tx(self) -> contextlib.AbstractContextManager[None]:
        """A BEGIN IMMEDIATE transaction with errors translated."""
        return immediate(self.db, self.path, self.busy_timeout_s)

    def guard(self) -> contextlib.AbstractContextManager[None]:
        """Error translation for reads."""
        return guarded(self.path, self.busy_timeout_s)

    def insert(self, table: str, row: dict[str, Any], *, ignore: bool = False, upsert_pk: str | None = None) -> None:
        """One plain INSERT inside the caller's transaction. (sqlite-utils' table.insert/upsert
        look the table up again on every call: about ten extra queries per row on the hot path.)

        `ignore`: an existing row wins. `upsert_pk`: an existing row gets these columns updated,
        its other columns kept (sqlite-utils' upsert). Column names come from the store's own
        field lists, never from callers (unknown fields are refused before this)."""
        cols = list(row)
        assert all(c.isidentifier() for c in cols) and table.isidentifier(), cols
        sql = (f"INSERT {'OR IGNORE ' if ignore else ''}INTO {table} ({', '.join(cols)}) "
               f"VALUES ({', '.join('?' for _ in cols)})")
        if upsert_pk:
            updates = [c for c in cols if c != upsert_pk]
            sql += (f" ON CONFLICT ({upsert_pk}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates)
                    if updates else f" ON CONFLICT ({upsert_pk}) DO NOTHING")
        self.db.execute(sql, [_cell(row[c]) for c in cols])

    def _event(self, kind: str, actor: str, body: dict[str, Any], event_id: str | None = None) -> None:
        """Append an event inside the caller's transaction, so it is recorded with the change it
        tells of or not at all; a given `event_id` is recorded once (a retry adds nothing)."""
        self.insert("events", {"id": event_id or new_id(), "ts": self.now(), "kind": kind, "actor": actor,
                               "body": dumps(body)}, ignore=True)

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self.guard():
            return list(self.db.query(sql, params))

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None
