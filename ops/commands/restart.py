"""`cogloop restart ACTOR` — restart one child; revives one that went FATAL.

Usage:
    cogloop restart ACTOR [--home H] [--json]

Examples:
    cogloop restart builder-1
    cogloop restart memory --json

Sends `restart {"actor": ACTOR}` to the supervisor: a running child is asked to stop
(`actor.stop`, then SIGTERM/SIGKILL after the grace period) and started again; a FATAL or
stopped one is started at once with its restart history cleared. Exit 1 for an unknown actor,
3 without a daemon.
"""

from __future__ import annotations

import argparse

from ops.commands._daemon import add_parser, call
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "restart", __doc__, "restart one actor")
    p.add_argument("actor", metavar="ACTOR", help="a child's name as `status` lists it (memory, builder-1, llm, ...)")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    out = call(ctx, "restart", {"actor": args.actor}, retries=1)
    if ctx.json:
        ctx.emit_json(out)
    else:
        ctx.say(f"{out['actor']}: restarting ({out['state']})")
    return 0
