"""`cogloop wait` — block until the queued and leased tasks (of one source) are done.

Usage:
    cogloop wait [--source S] [--timeout S] [--interval S] [--home H] [--json]

Examples:
    cogloop import humaneval --limit 20 && cogloop wait --source humaneval --timeout 3600
    cogloop wait --json                     # every source; prints the final counts by status

Sends no message: it polls HOME/history.db read-only (WAL lets it read while Memory writes),
so it works the same whether the daemon runs here, in a container or not at all. Done means
no task of that source is `queued` or `leased`. Exit 0 when done, 1 on timeout (or no
database), 2 on bad arguments. A progress bar shows on a terminal.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from typing import Callable

from ops.context import Context
from ops.ground.errors import CogloopError, UsageError
from ops.readdb import open_readonly
from store.taskspec import SOURCES

PENDING = ("queued", "leased")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("wait", parents=[common], help="wait until the queued tasks of a source are done",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # choices: a typo must not "finish" at once with nothing to wait for.
    p.add_argument("--source", choices=SOURCES, help="only tasks of this source")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="give up after S seconds (exit 1); default: wait for ever")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="poll every S seconds (default 1)")
    p.set_defaults(handler=run)


def counts(conn: sqlite3.Connection, source: str | None) -> dict[str, int]:
    """Tasks by status, for one source or all."""
    sql = "SELECT status, count(*) FROM tasks" + (" WHERE source = ?" if source else "") + " GROUP BY status"
    return {status: n for status, n in conn.execute(sql, (source,) if source else ())}


def pending(by_status: dict[str, int]) -> int:
    return sum(by_status.get(s, 0) for s in PENDING)


def wait_until_done(poll: Callable[[], dict[str, int]], *, timeout: float | None, interval: float,
                    on_poll: Callable[[dict[str, int]], None] = lambda c: None,
                    clock: Callable[[], float] = time.monotonic,
                    sleep: Callable[[float], None] = time.sleep) -> tuple[bool, dict[str, int]]:
    """Poll until nothing is pending or the timeout passes: (done, last counts)."""
    deadline = None if timeout is None else clock() + timeout
    while True:
        by_status = poll()
        on_poll(by_status)
        if pending(by_status) == 0:
            return True, by_status
        if deadline is not None and clock() >= deadline:
            return False, by_status
        sleep(interval if deadline is None else max(0.0, min(interval, deadline - clock())))


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.timeout is not None and args.timeout < 0:
        raise UsageError(f"--timeout must be 0 or more seconds, got {args.timeout:g}")
    if not args.interval > 0:
        raise UsageError(f"--interval must be more than 0 seconds, got {args.interval:g}")
    conn = open_readonly(ctx.home.db)
    what = f"{args.source} tasks" if args.source else "tasks"
    started = time.monotonic()
    try:
        poll = lambda: counts(conn, args.source)  # noqa: E731 - a one-line closure reads best here
        if sys.stderr.isatty() and not ctx.json:
            done, by_status = _with_progress(poll, args, what)
        else:
            done, by_status = wait_until_done(poll, timeout=args.timeout, interval=args.interval)
    except sqlite3.Error as exc:
        raise CogloopError(f"{ctx.home.db}: cannot read the queue: {exc}") from None
    finally:
        conn.close()
    waited = round(time.monotonic() - started, 3)
    if ctx.json:
        ctx.emit_json({"source": args.source, "done": done, "pending": pending(by_status),
                       "waited_s": waited, "by_status": by_status})
    elif done:
        summary = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "no tasks"
        ctx.say(f"done: {what}: {summary} ({waited:.0f}s)")
    if not done:
        raise CogloopError(f"timed out after {args.timeout:g}s: {pending(by_status)} {what} "
                           "still queued or leased (is the daemon running? `cogloop status`)")
    return 0


def _with_progress(poll: Callable[[], dict[str, int]], args: argparse.Namespace,
                   what: str) -> tuple[bool, dict[str, int]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("waiting for {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True) as bar:
        job = bar.add_task(what, total=None)

        def show(by_status: dict[str, int]) -> None:
            total = sum(by_status.values())
            bar.update(job, total=total, completed=total - pending(by_status))

        return wait_until_done(poll, timeout=args.timeout, interval=args.interval, on_poll=show)
