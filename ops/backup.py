"""A consistent copy of a live SQLite database through SQLite's online backup API.

The copy is taken in one `backup` step (`pages=-1`): the whole database is read inside one
read transaction, so it is a snapshot of one moment even while the daemon writes (WAL lets
writers go on meanwhile). Stepping page by page would show progress, but SQLite restarts a
stepped backup whenever another connection writes, which under a busy daemon may never end.
The copy goes to a temporary file beside the target, is checked with `PRAGMA integrity_check`
and then renamed into place, so FILE is either a whole good backup or untouched.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ops.ground.errors import CogloopError, UsageError


@dataclass(frozen=True)
class BackupResult:
    source: str
    target: str
    bytes: int
    pages: int
    integrity: str


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    if not source.exists():
        raise CogloopError(f"{source}: no history database to back up")
    target = target.absolute()
    if target.resolve() == source.resolve():
        raise UsageError(f"{target}: is the live database itself; choose another FILE")
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists (use --force to replace it)")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such directory")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        src = sqlite3.connect(source.absolute().as_uri() + "?mode=ro", uri=True, timeout=30.0)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst, pages=-1)
                # A standalone file: no -wal beside it is needed to read it.
                dst.execute("PRAGMA journal_mode=DELETE")
                integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
                pages = dst.execute("PRAGMA page_count").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
        if integrity != "ok":
            raise CogloopError(f"{source}: the copy fails its integrity check ({integrity}); "
                               "the live database may be damaged, see `cogloop doctor`")
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise CogloopError(f"backup of {source} failed: {exc}") from None
    except OSError as exc:
        raise CogloopError(f"{target}: cannot write the backup: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(str(source), str(target), target.stat().st_size, pages, integrity)
