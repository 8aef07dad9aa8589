"""`cogloop import SOURCE` — bring tasks into the queue from somewhere else.

Usage:
    cogloop import tasks FILE [--home H] [--json]     # a task_queue.json (or any task file)
    cogloop import humaneval [--limit N] [--ids ID ...] [--home H] [--json]

Each source is its own module listed in SOURCES below, exposing `NAME` and
`register(import_subparsers, common)`; `import humaneval` joins by adding its module there.

Examples:
    cogloop export /tmp/snap && cogloop import tasks /tmp/snap/memory/core/task_queue.json --home ~/new
    cogloop import humaneval --limit 20 && cogloop wait --source humaneval
"""

from __future__ import annotations

import argparse
import importlib

# One module per import source; each registers `cogloop import NAME`.
SOURCES = ("ops.commands.import_tasks", "ops.commands.import_humaneval")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", help="add tasks from a file or a benchmark", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    isub = p.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    for name in SOURCES:
        importlib.import_module(name).register(isub, common)
