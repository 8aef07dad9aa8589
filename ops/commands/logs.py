"""`cogloop logs ACTOR` — show an actor's (or the supervisor's) log; `-f` follows it.

Usage:
    cogloop logs ACTOR [--home H] [-n LINES] [-f]

Examples:
    cogloop logs builder-1 -f
    cogloop logs supervisor -n 100

Reads HOME/logs/ACTOR.log; sends nothing and works without a daemon. Exit 1 when there is
no such log.
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from ops.commands._daemon import add_parser
from ops.context import Context
from ops.ground.errors import CogloopError, UsageError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "logs", __doc__, "show an actor's log")
    p.add_argument("actor", metavar="ACTOR", help="a child's name (memory, builder-1, llm, ...) or supervisor")
    p.add_argument("-n", "--lines", type=int, default=50, metavar="LINES", help="how many last lines (default: 50)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines until Ctrl-C")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.actor) or args.actor.startswith("."):
        raise UsageError(f"not an actor name: {args.actor!r}")
    path = ctx.home.logs / f"{args.actor}.log"
    if not path.exists():
        known = sorted(p.stem for p in ctx.home.logs.glob("*.log")) if ctx.home.logs.exists() else []
        raise CogloopError(f"no log for {args.actor!r} in {ctx.home.logs} (logs: {', '.join(known) or 'none'})")
    with open(path, "rb") as fh:
        lines = fh.read().decode(errors="replace").splitlines()[-args.lines:] if args.lines else []
        for line in lines:
            print(line)
        sys.stdout.flush()
        if not args.follow:
            return 0
        try:
            while True:
                chunk = fh.read()
                if chunk:
                    sys.stdout.write(chunk.decode(errors="replace"))
                    sys.stdout.flush()
                else:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            return 0
