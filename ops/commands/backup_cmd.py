"""`cogloop backup` — copy the history database safely, even while the daemon writes.

Usage:
    cogloop backup FILE [--force] [--home H] [--json]

Examples:
    cogloop backup ~/cogloop-$(date +%F).db
    cogloop backup /backups/cogloop.db --force --json

Sends no message: it uses SQLite's online backup API on HOME/history.db (one read
transaction, so the copy is one consistent moment; see ops/backup.py), checks the copy's
integrity and renames it into place. Restore by stopping the daemon and copying FILE to
HOME/history.db. Exit 0 done; 1 the copy failed; 2 FILE exists (without --force) or its
folder is missing.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ops.backup import backup_database
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="back up the history database (online)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="where to write the copy")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    result = backup_database(ctx.home.db, Path(args.file).expanduser(), force=args.force)
    if ctx.json:
        ctx.emit_json(dataclasses.asdict(result))
    else:
        ctx.say(f"backed up {result.source} to {result.target} "
                f"({result.pages} pages, {result.bytes} bytes, integrity {result.integrity})")
    return 0
