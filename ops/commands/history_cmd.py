"""`cogloop history` — named queries over the history database.

Usage:
    cogloop history [recent|progress|daily|queue|lessons] [--limit N] [--home H] [--json]

    recent    the latest attempts with their scores (default)
    progress  per skill: attempts, passes, pass rate, hardest difficulty passed
    daily     per skill per day: attempts, passes, pass rate
    queue     tasks waiting or leased, in the order builders will lease them
    lessons   per lesson: state (trial, proven, retired), pass rate shown and held back, effect

Examples:
    cogloop history                       # the last 20 attempts
    cogloop history progress --json
    sqlite-utils rows ~/.cogloop/history.db skill_progress    # the same, without cogloop

Sends no message: opens HOME/history.db read-only (works beside a running daemon). Each
query is a view of the same name family, listed in docs/store.md.
"""

from __future__ import annotations

import argparse

from store.queries import HISTORY_QUERIES

from ops.commands._store import open_for_read
from ops.commands._table import table
from ops.context import Context
from ops.ground.errors import UsageError

COLUMNS = {
    "recent": ("started_at", "task_id", "skill", "difficulty", "builder", "attempt_no", "visible_status", "score",
               "hidden_passed", "title"),
    "progress": ("skill", "attempts", "passed", "pass_rate", "avg_total", "max_difficulty_passed", "last_scored_at"),
    "daily": ("day", "skill", "attempts", "passed", "pass_rate", "avg_total"),
    "queue": ("id", "status", "source", "priority", "skill", "difficulty", "attempts", "leased_by", "title"),
    "lessons": ("id", "skill", "state", "source", "shown", "shown_pass_rate", "held", "held_pass_rate", "effect",
                "text"),
}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("history", parents=[common], help="recent attempts, per-skill progress, the queue",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", nargs="?", default="recent", choices=tuple(HISTORY_QUERIES),
                   help="which question: " + "; ".join(f"{k}: {v[1]}" for k, v in HISTORY_QUERIES.items())
                   + " (default: recent)")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N rows (default: 20)")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit: expected a positive number, got {args.limit}")
    with open_for_read(ctx) as store:
        rows = store.history(args.query, args.limit)
    if ctx.json:
        ctx.emit_json({"query": args.query, "rows": rows})
    elif not rows:
        ctx.say(f"no rows ({HISTORY_QUERIES[args.query][1]})")
    else:
        for line in table(rows, COLUMNS[args.query]):
            ctx.say(line)
    return 0
