"""`cogloop export` — write the JSON memory layout of the original plan from the database.

Usage:
    cogloop export [DIR] [--home H] [--json]        # DIR defaults to HOME

Writes DIR/memory/core/{builder_profile,score_log,skill_map,task_queue,system_log}.json and
the folders DIR/memory/{advanced,task_memory,code_archive,logs}/ (docs/store.md).
`core/task_queue.json` can be loaded back with `cogloop import tasks FILE`.

Examples:
    cogloop export                          # ~/.cogloop/memory/
    cogloop export /tmp/snapshot --json     # {"dir": ..., "tasks": N, "scores": N, ...}

Sends no message: reads HOME/history.db read-only, so it works beside a running daemon.
"""

from __future__ import annotations

import argparse
from pathlib import Path


from ops.commands._store import open_for_read
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="write HOME's history as JSON files (memory/)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", nargs="?", metavar="DIR", help="where memory/ goes (default: HOME)")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    dest = Path(args.dir).expanduser() if args.dir else ctx.home.root
    with open_for_read(ctx) as store:
        from store.export import export_memory

        summary = export_memory(store, dest, home=ctx.home.root)
    if ctx.json:
        ctx.emit_json(summary)
    else:
        ctx.say(f"exported {summary['tasks']} tasks, {summary['scores']} scores, {summary['events']} events, "
                f"{summary['solutions']} solutions to {summary['dir']}")
    return 0
