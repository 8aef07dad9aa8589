"""`cogloop status` — the daemon's state: each child's state, pid, restarts, heartbeat, memory, and
each LLM endpoint's state from what its calls meet: ok, busy (generating), erroring: <last
error>, breaker open until <time>: <error>, waiting: <why> (no model to use), down: <reason>.

Usage:
    cogloop status [--home H] [--json]

Sends `status` to the supervisor, which answers from the state it keeps (psutil is sampled
in the background), so this is fast. A table on a terminal; plain columns when stdout is a
pipe or a file (for grep and awk, like `history`). `--json` prints exactly the JSON of the CLI
contracts in docs/architecture.md. Exit 3 when no daemon runs at HOME.

Examples:
    cogloop status
    cogloop status --json | jq '.children[] | {name, state, restarts}'
"""

from __future__ import annotations

import argparse
import sys

from ops.commands._daemon import add_parser, call
from ops.commands._table import table
from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    add_parser(sub, common, "status", __doc__, "show the daemon's state").set_defaults(handler=run)


def _fmt(value, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


COLUMNS = ("actor", "state", "pid", "restarts", "uptime", "heartbeat", "backlog", "rss", "cpu")
COLOURS = {"running": "green", "starting": "cyan", "backoff": "yellow", "fatal": "bold red", "stopped": "dim"}


def rows(status: dict) -> list[dict[str, str]]:
    """One row of text cells per child, in COLUMNS order."""
    return [{"actor": c["name"], "state": c["state"], "pid": _fmt(c["pid"]), "restarts": str(c["restarts"]),
             "uptime": f"{c['uptime_s']:.0f}s", "heartbeat": _fmt(c["last_heartbeat_s"], "s"),
             "backlog": str(c["backlog"]), "rss": _fmt(c["rss_mb"], " MB"), "cpu": _fmt(c["cpu_percent"], "%")}
            for c in status["children"]]


def llm_lines(llm: dict) -> list[str]:
    """The endpoint on one line; several, one line each (with what is in flight and what failed)."""
    endpoints = llm.get("endpoints") or []
    if len(endpoints) <= 1:
        return [f"llm: {llm['url'] or '-'} model {llm['model'] or '(not known yet)'} ({llm['state']})"]
    return [f"llm: {len(endpoints)} endpoints"] + [
        f"  {e['url']} model {e['model'] or '(not known yet)'} ({e['state']}); in flight {e['in_flight']}, "
        f"calls {e['calls']}, errors {e['errors']}" for e in endpoints]


def header(status: dict) -> list[str]:
    iso = status["isolation"]
    return [f"cogloop daemon pid {status['pid']} at {status['home']}, up {status['uptime_s']:.0f}s"
            f"{'  PAUSED' if status['paused'] else ''}",
            *llm_lines(status["llm"]),
            "sandbox isolation: " + ", ".join(f"{k}={'yes' if iso.get(k) else 'no'}"
                                              for k in ("network", "filesystem", "pid", "uid"))]


def run(ctx: Context, args: argparse.Namespace) -> int:
    status = call(ctx, "status")["status"]
    if ctx.json:
        ctx.emit_json(status)
        return 0
    if not sys.stdout.isatty():  # pipes, logs, grep and awk: plain columns, as `history` prints
        for line in header(status) + table(rows(status), COLUMNS):
            ctx.say(line)
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    console = Console()
    lines = header(status)
    console.print(escape(lines[0]).replace("PAUSED", "[bold yellow]PAUSED[/]"))
    for line in lines[1:]:
        console.print(escape(line))
    grid = Table(*COLUMNS)
    for row in rows(status):
        row["state"] = f"[{COLOURS.get(row['state'], '')}]{row['state']}[/]"
        grid.add_row(*(row[c] for c in COLUMNS))
    console.print(grid)
    return 0
