"""The one seam between write commands and the two write paths (docs/architecture.md, "Who reads
and writes the database"): through the daemon's control socket when one runs at HOME (Memory is
then the only writer), else straight into the store. Both answer with the op's reply body."""

from __future__ import annotations

from typing import Any

from actors import protocol as P
from ops import client
from ops.commands._store import open_for_write
from ops.context import Context
from ops.ground.errors import CogloopError, UsageError


def memory_op(ctx: Context, op: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run a memory op (actors/protocol) via the daemon if it runs, else via the store.

    Callers make their ops idempotent (task ids are chosen before sending), because the
    control client's Lazy Pirate retries may deliver a request twice."""
    if client.daemon_running(ctx.home.root):
        with client.Client(ctx.home.root) as c:
            try:
                return c.forward("memory", op, body)
            except client.RemoteFailure as exc:  # the same line and exit status as the direct path
                if exc.code == "bad_request":
                    raise UsageError(exc.message) from None
                if exc.code in ("not_found", "conflict"):
                    raise CogloopError(exc.message) from None
                raise
    from store.service import handle

    # No router on this path: the op's entry is checked here, as the router would (sender `cli`).
    refused = P.check(op, body, P.CLI, "memory")
    if refused is not None:
        raise UsageError(refused.message)
    with open_for_write(ctx) as store:
        return handle(store, op, body, sender="cli", archive_dir=ctx.home.code_archive)
