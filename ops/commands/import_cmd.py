"""`cogloop import SOURCE` — add tasks in bulk from a registered import source.

Usage:
    cogloop import humaneval [--limit N] [--ids ID ...] [--home H] [--json]

Examples:
    cogloop import humaneval --limit 20

Each source is a module in ops/commands with `NAME`, `register_source(sources, common)` and
a handler; SOURCES lists them. Tasks go through Memory when the daemon runs, else straight
into the store (ops/taskwrite.py). Exit 0 imported, 1 some task refused, 2 bad arguments.
"""

from __future__ import annotations

import argparse

from ops.commands import import_humaneval

SOURCES = [import_humaneval]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common], help="import tasks in bulk (humaneval, ...)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sources = p.add_subparsers(dest="source", metavar="SOURCE", parser_class=type(p))
    for source in SOURCES:
        source.register_source(sources, common)
    p.set_defaults(handler=lambda ctx, args: p.print_help() or 2)
