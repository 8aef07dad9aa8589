"""`cogloop import tasks FILE` — load a task_queue.json (from `cogloop export`) into the queue.

Usage:
    cogloop import tasks FILE [--home H] [--json]

Idempotent by task id: a task already in the queue with the same content is left as it is
(a second import adds nothing); one with the same id and different content replaces it while
no builder has leased it yet ("updated"), and is refused after that. Tasks come back as queued
whatever their exported status. Invalid tasks are reported one per line on stderr (exit 1);
the valid ones are still added, in one transaction.

Message: memory `task.add_many` through the control socket when a daemon runs at HOME,
else a direct write to HOME/history.db. Prints what happened, e.g. `FILE: 3 new, 0 already
present, 0 updated` (with --json: {"ids", "new", "present", "updated", "errors"}).

Examples:
    cogloop export ./snap && cogloop import tasks ./snap/memory/core/task_queue.json --home /tmp/other
"""

from __future__ import annotations

import argparse


from ops.commands._write import memory_op
from ops.commands.task_cmd import report_many, with_ids
from ops.context import Context

NAME = "tasks"


def register(isub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = isub.add_parser(NAME, parents=[common], help="a task_queue.json back into the queue",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="a task_queue.json from `cogloop export`, or any JSON/TOML task file")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    from store.export import tasks_from_queue_file

    tasks = with_ids(tasks_from_queue_file(args.file))
    return report_many(ctx, memory_op(ctx, "task.add_many", {"tasks": tasks}), args.file, ids=False)
