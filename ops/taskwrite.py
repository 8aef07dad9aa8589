"""Adding tasks from the CLI: through Memory when the daemon runs, else straight to the store.

DESIGN.md, "Who reads and writes the database": while a daemon runs, Memory is the only
writer, so commands that add tasks go through the control socket (`forward` to memory,
`task.add_many`); with no daemon they write through the same `store` library directly. Either
way adding is idempotent by task id (re-adding an identical task is a no-op).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ops.context import Context

BATCH = 16  # tasks per message: HumanEval tasks are up to ~10 kB; stays far below 1 MiB


def batches(items: list[Any], size: int = BATCH) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def add_tasks(ctx: Context, tasks: list[dict[str, Any]],
              on_batch: Callable[[int], None] = lambda n: None) -> tuple[list[str], list[str], str]:
    """(ids added or already present, error lines, "daemon" | "store")."""
    from ops.client import Client, daemon_running

    ids: list[str] = []
    errors: list[str] = []
    if daemon_running(ctx.home.root):
        with Client(ctx.home.root, timeout=30.0, max_msg_bytes=ctx.config.daemon.max_msg_bytes) as client:
            for chunk in batches(tasks):
                reply = client.forward("memory", "task.add_many", {"tasks": chunk})
                ids += list(reply.get("ids", []))
                errors += [str(e) for e in reply.get("errors", [])]
                on_batch(len(chunk))
        return ids, errors, "daemon"
    from store import Store

    store = Store.open(ctx.home.db, max_attempts=ctx.config.store.max_attempts)
    try:
        for chunk in batches(tasks):
            got, bad = store.add_tasks(chunk)
            ids += got
            errors += bad
            on_batch(len(chunk))
    finally:
        store.close()
    return ids, errors, "store"
