"""`cogloop task` — add, list, show and cancel tasks in the queue.

Usage:
    cogloop task add --title T --prompt P --skill S --difficulty N --entry-point NAME
                     --hidden-tests FILE [--visible-tests FILE] [--edge-tests FILE]
                     [--reference FILE] [--priority N] [--max-attempts N]
    cogloop task add --file TASKFILE            # JSON or TOML: one task, a list, or a 'tasks' list
    cogloop task list [--status S] [--source S] [--limit N]
    cogloop task show ID [--private]
    cogloop task cancel ID
    (ID: the full id or any unique prefix, e.g. the 12 characters `task list` shows; an
    ambiguous prefix lists the tasks it matches and exits 2; no such task exits 1)
    (every subcommand takes --home H --config F --json)

Examples:
    cogloop task add --title "Reverse words" --prompt "def rev(s): ..." --skill strings \\
        --difficulty 2 --entry-point rev --hidden-tests hidden.py
    cogloop task add --file tasks.toml --json
    cogloop task list --status queued --json
    cogloop task cancel 3f2a9c

Messages: `add` sends memory `task.add` (one task) or `task.add_many` (a file of several),
`cancel` sends `task.cancel` (with the full id, looked up read-only first), through the control
socket's `forward` when a daemon runs at HOME; with no daemon they write the store directly.
`list` and `show` read the database read-only and never need the daemon. A bad task exits 2
with every problem on one line; no such task, or nothing to cancel (a passed or failed task),
exits 1 with or without a daemon. Cancelling a cancelled task again is a no-op (exit 0).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from store import TaskInvalid, TaskNotFound, load_task_file

from ops.commands._store import open_for_read
from ops.commands._table import table
from ops.commands._write import memory_op
from ops.context import Context
from ops.ground.errors import UsageError

# Task fields set by a flag of the same name: the value itself, or (FILE_FLAGS) a file to read.
FIELD_FLAGS = ("title", "prompt", "skill", "difficulty", "entry_point", "priority", "max_attempts")
FILE_FLAGS = ("visible_tests", "hidden_tests", "edge_tests", "reference")
LIST_COLUMNS = ("id", "status", "source", "priority", "skill", "difficulty", "attempts", "title")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("task", help="add, list, show and cancel tasks", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    tsub = p.add_subparsers(dest="task_command", metavar="SUBCOMMAND", required=True)

    add = tsub.add_parser("add", parents=[common], help="queue a task (flags or --file)", epilog=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("--file", metavar="TASKFILE", help="a JSON or TOML task file")
    add.add_argument("--title", help="a short name shown by `task list` and reports")
    add.add_argument("--prompt", help="what the builder sees (signature and docstring)")
    add.add_argument("--skill", help="the skill it trains (e.g. strings, math): progress is per skill")
    add.add_argument("--difficulty", type=int, help="1..10")
    add.add_argument("--entry-point", dest="entry_point", help="the function the tests call")
    for name in FILE_FLAGS:
        add.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="FILE",
                         help="Python tests file" if name.endswith("tests") else "Python source file")
    add.add_argument("--priority", type=int, help="higher first (default 0)")
    add.add_argument("--max-attempts", dest="max_attempts", type=int, metavar="N",
                     help="attempts before the task counts as failed (default: store.max_attempts, 3)")
    add.set_defaults(handler=run_add)

    ls = tsub.add_parser("list", parents=[common], help="list tasks, newest first", epilog=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    ls.add_argument("--status", choices=("queued", "leased", "passed", "failed", "error", "cancelled"),
                    help="only tasks in this state")
    ls.add_argument("--source", choices=("user", "humaneval", "trainer", "llm"),
                    help="only tasks from there: you (user), an import, the trainer or the model")
    ls.add_argument("--limit", type=int, default=50, metavar="N", help="at most N tasks (default: 50)")
    ls.set_defaults(handler=run_list)

    show = tsub.add_parser("show", parents=[common], help="one task with its state", epilog=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("id", metavar="ID", help="a task id, or any unique prefix of one (as `task list` shows)")
    show.add_argument("--private", action="store_true", help="include hidden/edge tests and the reference")
    show.set_defaults(handler=run_show)

    cancel = tsub.add_parser("cancel", parents=[common], help="cancel a queued or leased task", epilog=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    cancel.add_argument("id", metavar="ID", help="a task id, or any unique prefix of one (as `task list` shows)")
    cancel.set_defaults(handler=run_cancel)


def _read(flag: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--{flag.replace('_', '-')} {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--{flag.replace('_', '-')} {path}: cannot read: {exc}") from None


def task_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The task the flags describe; unset flags are left out so validation names them."""
    task: dict[str, Any] = {"source": "user", "id": uuid.uuid4().hex}
    for name in FIELD_FLAGS:
        if getattr(args, name) is not None:
            task[name] = getattr(args, name)
    for name in FILE_FLAGS:
        if getattr(args, name) is not None:
            task[name] = _read(name, getattr(args, name))
    return task


def run_add(ctx: Context, args: argparse.Namespace) -> int:
    used = [f for f in (*FIELD_FLAGS, *FILE_FLAGS) if getattr(args, f) is not None]
    if args.file and used:
        raise UsageError(f"use either --file or the task flags, not both (got --{used[0].replace('_', '-')})")
    if not args.file:
        reply = memory_op(ctx, "task.add", {"task": task_from_flags(args)})
    else:
        tasks = with_ids(load_task_file(args.file))
        if len(tasks) > 1:
            return report_many(ctx, memory_op(ctx, "task.add_many", {"tasks": tasks}), str(args.file))
        try:
            reply = memory_op(ctx, "task.add", {"task": tasks[0]})
        except TaskInvalid as exc:
            raise TaskInvalid(exc.errors, str(args.file)) from None
    if ctx.json:
        ctx.emit_json(reply)
    else:
        ctx.say(reply["id"])
    return 0


def with_ids(tasks: list[Any]) -> list[Any]:
    """Give id-less tasks their id here, so a retried request adds each task once."""
    return [{"id": uuid.uuid4().hex, **t} if isinstance(t, dict) and "id" not in t else t for t in tasks]


def added_summary(reply: dict[str, Any]) -> str:
    """"2 new, 3 already present, 1 updated" (and "refused" when some were); what a task.add_many
    reply says happened, so a second import does not claim to have imported anything."""
    counts = [f"{len(reply.get('new', []))} new", f"{len(reply.get('present', []))} already present",
              f"{len(reply.get('updated', []))} updated"]
    if reply.get("errors"):
        counts.append(f"{len(reply['errors'])} refused")
    changed = reply.get("new") or reply.get("updated")
    return ", ".join(counts) + ("" if changed else "; nothing changed")


def report_many(ctx: Context, reply: dict[str, Any], where: str, *, ids: bool = True) -> int:
    """Print the ids accepted (`task add --file`) or what happened to them (imports), and one
    stderr line per rejected task; exit 1 if any was rejected."""
    if ctx.json:
        ctx.emit_json(reply)
    elif ids:
        for tid in reply["ids"]:
            ctx.say(tid)
    else:
        ctx.say(f"{where}: {added_summary(reply)}")
    for error in reply["errors"]:
        print(f"cogloop: {where}: {error}", file=sys.stderr)
    return 1 if reply["errors"] else 0


def run_list(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit: expected a positive number, got {args.limit}")
    with open_for_read(ctx) as store:
        tasks = store.list_tasks(args.status, args.source, args.limit)
    if ctx.json:
        ctx.emit_json({"tasks": tasks})
    elif not tasks:
        ctx.say("no tasks")
    else:
        for line in table(tasks, LIST_COLUMNS):
            ctx.say(line)
    return 0


def run_show(ctx: Context, args: argparse.Namespace) -> int:
    with open_for_read(ctx) as store:
        task = store.get_task(store.resolve_task_id(args.id), private=args.private)
    if task is None:  # deleted between the two reads
        raise TaskNotFound(f"no task with id {args.id!r}")
    if ctx.json:
        ctx.emit_json({"task": task})
        return 0
    for key, value in task.items():
        text = str(value)
        if "\n" in text.rstrip("\n"):
            ctx.say(f"{key}:")
            for line in text.rstrip("\n").splitlines():
                ctx.say(f"    {line}")
        else:
            ctx.say(f"{key}: {text.rstrip()}")
    return 0


def run_cancel(ctx: Context, args: argparse.Namespace) -> int:
    with open_for_read(ctx) as store:  # the full id, read beside the daemon: the message names one task
        task_id = store.resolve_task_id(args.id)
    reply = memory_op(ctx, "task.cancel", {"id": task_id})
    if ctx.json:
        ctx.emit_json(reply)
    else:
        ctx.say(f"{reply['id']} {reply['status']}")
    return 0

