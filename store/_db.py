"""Opening the database, translating SQLite's failures, and write transactions.

Every SQLite or OS failure leaves the store as a `StoreError` subclass with one line that
names the file, so the CLI never shows a traceback and callers can tell a locked database
(retry later) from a corrupt one (restore a backup) from a full disk (free space).
"""

from __future__ import annotations

import contextlib
import resource
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from store.errors import (StoreCorrupt, StoreError, StoreFull, StoreIOError, StoreLocked,
                          StoreMissing)


def iso(ts: float) -> str:
    """A UTC ISO-8601 timestamp with a `Z`; fixed width, so text order is time order."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch(ts: str) -> float:
    """The seconds since the epoch of an `iso` timestamp."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def connect(path: Path, *, readonly: bool, create: bool, busy_timeout_s: float) -> sqlite_utils.Database:
    """A sqlite-utils Database on `path`; read-only opens never create or migrate."""
    if not path.exists():
        if readonly or not create:
            raise StoreMissing(f"{path}: no history database here")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if readonly:
            conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True,
                                   timeout=busy_timeout_s, check_same_thread=False)
        else:
            conn = sqlite3.connect(str(path), timeout=busy_timeout_s, check_same_thread=False)
        db = sqlite_utils.Database(conn, execute_plugins=False)
        # Touch the header now: a file that is not a database fails here, not mid-operation.
        db.execute("PRAGMA schema_version").fetchone()
        if not readonly:
            db.enable_wal()
            db.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed txn
        db.execute("PRAGMA foreign_keys=ON")
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_s) from None
    return db


def translate(exc: BaseException, path: Path, busy_timeout_s: float = 0.0) -> StoreError:
    """One-line StoreError for a sqlite3 or OS failure."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError):
        return StoreIOError(f"{path}: {exc.strerror or exc}")
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreLocked(f"{path}: database is locked by another writer "
                           f"(gave up after {busy_timeout_s:g}s); try again")
    if name == "SQLITE_FULL" or "disk is full" in text or (name == "SQLITE_IOERR_WRITE" and _no_room(path)):
        return StoreFull(f"{path}: disk full (or file-size limit reached); nothing was written "
                         "(free space and retry)")
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return StoreIOError(f"{path}: disk I/O error ({name or text}); nothing was written "
                            "(disk full or file-size limit?)")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in text or "malformed" in text:
        return StoreCorrupt(f"{path}: not a valid SQLite database or damaged ({text}); "
                            "restore a backup or move it aside")
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreIOError(f"{path}: cannot open the database file")
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or "FOREIGN KEY constraint failed" in text:
        return StoreError(f"{path}: refused: it names an attempt or a task that is not in the history "
                          "(FOREIGN KEY constraint failed); nothing was written")
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"{path}: database is read-only here ({text})")
    return StoreError(f"{path}: {text}")


def _no_room(path: Path) -> bool:
    """Whether a failed write is most likely a full disk or the file-size limit (EFBIG reaches
    SQLite as a plain write error, ENOSPC as SQLITE_FULL)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        return True
    try:
        return shutil.disk_usage(path.parent).free < (1 << 20)
    except OSError:
        return False


@contextlib.contextmanager
def guarded(path: Path, busy_timeout_s: float) -> Iterator[None]:
    """Translate any sqlite3/OS failure inside the block."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_s) from None


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database, path: Path, busy_timeout_s: float) -> Iterator[None]:
    """A write transaction taken with BEGIN IMMEDIATE: the write lock is held from the start,
    so read-then-write sequences (lease: pick the head, mark it leased) are atomic across
    processes; sqlite-utils writes inside nest as savepoints. All or nothing."""
    with guarded(path, busy_timeout_s):
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.conn.execute("ROLLBACK")
            raise
