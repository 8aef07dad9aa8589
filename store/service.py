"""The memory ops of `actors/protocol.py` as plain functions over a Store.

`handle(store, op, body, sender=...)` returns the reply body of the protocol's op table.
The Memory actor is a thin shell over this table, and the CLI's write-through path (no
daemon running) calls the same functions, so a task added either way is treated alike.

Rules that are Memory's and not the queue's live here too: only the scorer may read a
task's private part, and only the supervisor records its outbox's events. A passing score
archives the solution in the transaction that records it (store/_verdict.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from store._store import Store
from store.errors import Forbidden, StoreError, TaskNotFound

PRIVATE_READERS = ("scorer",)
EVENT_SENDERS = ("supervisor",)


@dataclass
class Request:
    store: Store
    body: dict[str, Any]
    sender: str
    archive_dir: Path | None

    def need(self, key: str, kind: type | tuple[type, ...] = str) -> Any:
        """A required body field of the right type, else a one-line StoreError."""
        value = self.body.get(key)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if value is None or not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise StoreError(f"body.{key}: required, expected {names}")
        return value

    def opt(self, key: str, default: Any = None) -> Any:
        value = self.body.get(key)
        return default if value is None else value


def _show(req: Request) -> dict[str, Any]:
    task = req.store.get_task(req.need("id"))
    if task is None:
        raise TaskNotFound(f"no task with id {req.body['id']!r}")
    return {"task": task}


def _private(req: Request) -> dict[str, Any]:
    if req.sender not in PRIVATE_READERS:
        raise Forbidden(f"task.private: refused to {req.sender!r}; only the scorer may read hidden tests")
    task = req.store.get_task(req.need("id"), private=True)
    if task is None:
        raise TaskNotFound(f"no task with id {req.body['id']!r}")
    return {"task": task}


def _add_many(req: Request) -> dict[str, Any]:
    return req.store.add_tasks_counted(req.need("tasks", list))


def _score(req: Request) -> dict[str, Any]:
    """The verdict: records the score and completes the attempt and its task in one step."""
    code = req.opt("code")
    return req.store.record_score(req.need("score", dict), lease_id=req.opt("lease_id"),
                                  code=code if isinstance(code, str) else None, archive_dir=req.archive_dir)


def _release(req: Request) -> dict[str, Any]:
    reason = req.opt("reason")
    if reason is not None and not isinstance(reason, str):
        raise StoreError("body.reason: expected str")
    return {"ok": req.store.release(req.need("lease_id"), reason or None)}


def _events(req: Request) -> dict[str, Any]:
    """The supervisor's outbox: the ids handled are its acknowledgement."""
    if req.sender not in EVENT_SENDERS:
        raise Forbidden(f"event.record: refused to {req.sender!r}; only the supervisor records its events")
    ids, errors = req.store.record_events(req.need("events", list))
    return {"ids": ids, "errors": errors}


def _reflection(req: Request) -> dict[str, Any]:
    """Record a reflection; the lessons that were in the attempt's prompt get the credit (or the
    blame) once, so `lesson.top` ranks lessons by how often they preceded a pass."""
    reflection = req.need("reflection", dict)
    ids = [i for i in req.opt("lesson_ids", []) if isinstance(i, int) and not isinstance(i, bool)]
    fresh = not reflection.get("id") or req.store.one("SELECT id FROM reflections WHERE id = ?",
                                                       [reflection["id"]]) is None
    rid = req.store.record_reflection(reflection)
    if fresh and ids:
        req.store.lesson_outcome(ids, bool(reflection.get("passed")))
    return {"id": rid}


HANDLERS: dict[str, Callable[[Request], dict[str, Any]]] = {
    "task.add": lambda r: {"id": r.store.add_task(r.need("task", dict))},
    "task.add_many": _add_many,
    "task.list": lambda r: {"tasks": r.store.list_tasks(r.opt("status"), r.opt("source"), r.opt("limit", 100))},
    "task.show": _show,
    "task.cancel": lambda r: {"id": r.need("id"), "status": r.store.cancel_task(r.need("id"))},
    "task.lease": lambda r: {"lease": r.store.lease(r.need("builder"), float(r.need("ttl_s", (int, float))),
                                                    reclaim=r.opt("reclaim", False) is True)},
    "task.renew": lambda r: {"ok": r.store.renew(r.need("lease_id"), float(r.need("ttl_s", (int, float))))},
    "task.release": _release,
    "task.complete": lambda r: {"task_status": r.store.complete(r.need("lease_id"), r.need("attempt_id"),
                                                                 r.need("outcome"))},
    "task.private": _private,
    "queue.stats": lambda r: {"stats": r.store.queue_stats(r.opt("source"), open_only=r.opt("open") is True)},
    "attempt.record": lambda r: {"id": r.store.record_attempt(r.need("attempt", dict))},
    "score.record": _score,
    "reflection.record": _reflection,
    "lesson.top": lambda r: {"lessons": r.store.top_lessons(r.need("skill"), r.opt("limit", 5))},
    "archive.similar": lambda r: {"example": r.store.similar_solution(r.need("skill"), r.need("difficulty", int),
                                                                      r.opt("exclude_task"))},
    "profile.snapshot": lambda r: {"id": r.store.snapshot_profile(r.need("profile", dict))},
    "profile.latest": lambda r: {"profile": r.store.latest_profile()},
    "scores.recent": lambda r: {"scores": r.store.recent_scores(r.opt("skill"), r.opt("limit", 100))},
    "event.log": lambda r: {"id": r.store.log_event(r.need("kind"), r.sender, r.opt("body", {}))},
    "event.record": _events,
}


def handle(store: Store, op: str, body: dict[str, Any] | None, *, sender: str = "cli",
           archive_dir: str | Path | None = None) -> dict[str, Any]:
    """Run one memory op; raises StoreError (one line) for anything wrong."""
    if op not in HANDLERS:
        raise StoreError(f"unknown memory op {op!r}")
    if body is not None and not isinstance(body, dict):
        raise StoreError(f"{op}: body must be a map")
    return HANDLERS[op](Request(store, body or {}, sender, Path(archive_dir) if archive_dir else None))
