"""`cogloop status` — the daemon's state: each child's state, pid, restarts, heartbeat, memory, and
each LLM endpoint's state from what its calls meet: ok, busy (generating), erroring: <last
error>, breaker open until <time>: <error>, waiting: <why> (no model to use), down: <reason>.

Usage:
    cogloop status [--home H] [--json]

Sends `status` to the supervisor, which answers from the state it keeps (psutil is sampled
in the background), so this is fast. `--json` prints exactly the JSON of the CLI contracts
in docs/architecture.md. Exit 3 when no daemon runs at HOME.

Examples:
    cogloop status
    cogloop status --json | jq '.children[] | {name, state, restarts}'
"""

from __future__ import annotations

import argparse
import sys

from ops.commands._daemon import add_parser, call
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    add_parser(sub, common, "status", __doc__, "show the daemon's state").set_defaults(handler=run)


def _fmt(value, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def run(ctx: Context, args: argparse.Namespace) -> int:
    status = call(ctx, "status")["status"]
    if ctx.json:
        ctx.emit_json(status)
        return 0
    from rich.console import Console
    from rich.table import Table
    iso = status["isolation"]
    console = Console(width=None if sys.stdout.isatty() else 110)  # pipes: no cramped columns
    console.print(f"cogloop daemon pid {status['pid']} at {status['home']}, up {status['uptime_s']:.0f}s"
                  f"{'  [bold yellow]PAUSED[/]' if status['paused'] else ''}")
    from rich.markup import escape  # states quote servers: "[Errno 111] Connection refused"
    llm = status["llm"]
    endpoints = llm.get("endpoints") or []
    if len(endpoints) <= 1:
        console.print(escape(f"llm: {llm['url'] or '-'} model {llm['model'] or '(not known yet)'} ({llm['state']})"))
    else:
        shown = Table("llm endpoint", "model", "state", "in flight", "calls", "errors")
        for e in endpoints:
            shown.add_row(escape(e["url"]), escape(e["model"] or "-"), escape(e["state"]), str(e["in_flight"]),
                          str(e["calls"]), str(e["errors"]))
        console.print(shown)
    console.print("sandbox isolation: " + ", ".join(f"{k}={'yes' if iso.get(k) else 'no'}"
                                                     for k in ("network", "filesystem", "pid", "uid")))
    table = Table("actor", "state", "pid", "restarts", "uptime", "heartbeat", "backlog", "rss", "cpu")
    colors = {"running": "green", "starting": "cyan", "backoff": "yellow", "fatal": "bold red", "stopped": "dim"}
    for c in status["children"]:
        table.add_row(c["name"], f"[{colors.get(c['state'], '')}]{c['state']}[/]", _fmt(c["pid"]),
                      str(c["restarts"]), f"{c['uptime_s']:.0f}s", _fmt(c["last_heartbeat_s"], "s"),
                      str(c["backlog"]), _fmt(c["rss_mb"], " MB"), _fmt(c["cpu_percent"], "%"))
    console.print(table)
    return 0
