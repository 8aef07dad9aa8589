"""The Memory actor: the only writer of HOME/history.db while the daemon runs.

A thin shell: every memory op of `actors/protocol` goes to `store.service.handle`, the
same table the CLI uses when no daemon runs. Who may send each op (only the scorer reads a
task's private part, only the supervisor records its events) is the op's entry, which the
router enforces before a message reaches Memory. What the shell adds:
- store failures become error replies with a protocol code, never a dead process;
- `work()` sweeps expired leases back into the queue on a steady beat, so a task held by a
  builder that died is requeued even while nobody asks for a lease (the store records the
  `lease.expired` event in the same transaction);
- `event.record` from the supervisor: its outbox of restarts, crashes and the like, recorded
  once each by id; the reply's ids are the supervisor's acknowledgement.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, handles
from store import Store, StoreError
from store.errors import StoreCorrupt, StoreFull, StoreIOError, StoreLocked, TaskNotFound, TaskStateError
from store.service import HANDLERS, handle

log = logging.getLogger("cogloop.memory")

_SERVER_FAULTS = (StoreCorrupt, StoreFull, StoreIOError, StoreLocked)


def error_code(exc: StoreError) -> str:
    """The protocol error code for a store failure: the caller's fault or ours."""
    if isinstance(exc, _SERVER_FAULTS):
        return P.INTERNAL
    if isinstance(exc, TaskNotFound):
        return P.NOT_FOUND
    if isinstance(exc, TaskStateError):
        return P.CONFLICT
    return P.BAD_REQUEST  # invalid task, malformed body


def open_store(config: Any, home: Path) -> Store:
    return Store.open(home / "history.db", max_attempts=config.store.max_attempts, max_lost=config.store.max_lost,
                      lesson_min_uses=config.builder.lesson_min_uses)


class MemoryActor(BusActor):
    @classmethod
    def prepare(cls, config: Any, home: Path) -> dict[str, Any]:
        """A warm spare opens the store (and runs any migration) before it is adopted."""
        return {"store": open_store(config, home)}

    def __init__(self, ctx: ActorContext, store: Store | None = None):
        super().__init__(ctx)
        # Opened here, not in on_start, so a corrupt or too-new database stops the process at
        # start with its one-line reason (the supervisor logs it and backs off); a warm spare
        # opened it before it was adopted (and opens it here again only if that failed).
        self.store = store or ctx.prepared.get("store") or open_store(ctx.config, ctx.home)
        self.archive_dir = ctx.home / "code_archive"
        self.sweep_s = max(0.1, float(ctx.config.daemon.heartbeat_s))

    def serve(self, op: str, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        """Answer one memory op for the sender named in the envelope."""
        try:
            return handle(self.store, op, body, sender=str(env.get("from", "")), archive_dir=self.archive_dir)
        except StoreError as exc:
            if isinstance(exc, _SERVER_FAULTS):
                log.error("%s from %s failed: %s", op, env.get("from"), exc)
            raise ActorError(error_code(exc), str(exc)) from None

    def work(self) -> float | None:
        """Requeue tasks whose lease expired (their builder died or hung)."""
        try:
            reclaimed = self.store.sweep_expired()
        except StoreError as exc:  # locked by a CLI write-through, say: try again next beat
            log.warning("lease sweep failed: %s", exc)
            return self.sweep_s
        if reclaimed:
            log.info("ended %d expired lease(s)", reclaimed)
        return self.sweep_s

    def on_stop(self) -> None:
        super().on_stop()
        self.store.close()


def _op_method(op: str) -> Callable[..., dict[str, Any]]:
    def method(self: MemoryActor, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        return self.serve(op, body, env)
    method.__name__ = "on_" + op.replace(".", "_")
    method.__doc__ = f"Handle memory op {op!r} (store.service)."
    return handles(op)(method)


# One @handles method per memory op: the op table in store.service is the single list.
for _op in HANDLERS:
    setattr(MemoryActor, "on_" + _op.replace(".", "_"), _op_method(_op))
