"""`cogloop down` — stop the daemon: actors in reverse start order, then the supervisor.

Usage:
    cogloop down [--home H] [--timeout S]

Sends `stop` to the supervisor and returns when every process of the daemon is gone (the
supervisor waits for its children before it releases its pidfile). Exit 3 when no daemon
runs at HOME; exit 1 if it is still there after the timeout.

Examples:
    cogloop down
    cogloop down --home /srv/cogloop --timeout 60
"""

from __future__ import annotations

import argparse
import time

import psutil

from ops.client import daemon_running
from ops.commands._daemon import add_parser, call
from ops.context import Context
from ops.ground.errors import CogloopError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "down", __doc__, "stop the daemon")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="give up after S seconds")
    p.set_defaults(handler=run)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def run(ctx: Context, args: argparse.Namespace) -> int:
    pid = call(ctx, "status")["status"]["pid"]
    call(ctx, "stop", retries=1)
    deadline = time.monotonic() + args.timeout
    # The supervisor reaps its children before it lets go of the pidfile; then it exits.
    while daemon_running(ctx.home.root) or _alive(pid):
        if time.monotonic() > deadline:
            raise CogloopError(f"the daemon (pid {pid}) is still running after {args.timeout:g}s")
        time.sleep(0.05)
    if ctx.json:
        ctx.emit_json({"stopped": True, "pid": pid})
    else:
        ctx.say(f"cogloop daemon at {ctx.home.root} stopped")
    return 0
