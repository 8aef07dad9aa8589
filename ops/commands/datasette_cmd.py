"""`cogloop datasette` — browse HOME/history.db in Datasette, with its tables explained.

Usage:
    cogloop datasette [--host H] [--port N] [--home H]
    cogloop datasette --print-metadata [> metadata.json]

Serves the history read-only (Datasette opens it with mode=ro, so it works beside a running
daemon) with cogloop's metadata: a description of every table, view and column, each table
sorted newest first, facets (status, skill, source, ...), a task's title as the label where
a score, reflection or attempt links to it, and long text (prompts, code, tests) cut to 200
characters in tables (a row's own page shows all of it). Datasette is not a dependency of
cogloop: `pip install datasette` (0.65 or later 0.x).

Examples:
    cogloop datasette                                   # http://127.0.0.1:8001/history
    cogloop datasette --print-metadata > metadata.json
    datasette ~/.cogloop/history.db -m metadata.json --setting truncate_cells_html 200

Sends no message. Exit 1 when there is no history at HOME or Datasette is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ops.context import Context
from ops.ground.errors import CogloopError
from ops.readdb import no_history


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("datasette", parents=[common], help="browse the history in Datasette, tables explained",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8001, metavar="N", help="port to listen on (default: 8001)")
    p.add_argument("--print-metadata", action="store_true",
                   help="print Datasette's metadata.json for the history and exit (no Datasette needed)")
    p.set_defaults(handler=run)


def datasette_argv(db: Path, metadata_file: Path, host: str, port: int) -> list[str]:
    from store.metadata import SETTINGS

    argv = [sys.executable, "-m", "datasette", "serve", str(db), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port)]
    for key, value in SETTINGS.items():
        argv += ["--setting", key, str(value)]
    return argv


def run(ctx: Context, args: argparse.Namespace) -> int:
    from store.metadata import metadata

    if args.print_metadata:
        ctx.emit_json(metadata())
        return 0
    if not ctx.home.db.exists():
        raise no_history(ctx.home.db)
    if importlib.util.find_spec("datasette") is None:
        raise CogloopError("Datasette is not installed here: pip install datasette (or use "
                           "`cogloop datasette --print-metadata > metadata.json` with your own)")
    with tempfile.TemporaryDirectory(prefix="cogloop-datasette-") as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(), indent=2), encoding="utf-8")
        print(f"cogloop: serving {ctx.home.db} at http://{args.host}:{args.port}/history (Ctrl-C stops)",
              file=sys.stderr)
        try:
            return subprocess.run(datasette_argv(ctx.home.db, meta, args.host, args.port)).returncode
        except KeyboardInterrupt:  # Datasette got the same Ctrl-C and stopped
            return 0
