"""`cogloop pause` / `cogloop resume` — stop or restart the builders' leasing of new tasks.

Usage:
    cogloop pause [--home H] [--json]
    cogloop resume [--home H] [--json]

Sends `pause` / `resume` to the supervisor, which tells every actor `actor.pause` /
`actor.resume` (running attempts finish; `work()` stops being called). Exit 3 without a daemon.

Examples:
    cogloop pause          # e.g. before swapping the model in LM Studio
    cogloop resume
"""

from __future__ import annotations

import argparse

from ops.commands._daemon import add_parser, call
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name, text in (("pause", "pause the loop"), ("resume", "resume the loop")):
        add_parser(sub, common, name, __doc__, text).set_defaults(handler=run, op=name)


def run(ctx: Context, args: argparse.Namespace) -> int:
    out = call(ctx, args.op)
    if ctx.json:
        ctx.emit_json(out)
    else:
        ctx.say("paused" if out["paused"] else "resumed")
    return 0
