"""The memory ops of `actors/protocol` as plain functions over a Store.

`handle(store, op, body, sender=...)` returns the reply body of the op's entry. The Memory
actor is a thin shell over this table, and the CLI's write-through path (no daemon running)
calls the same functions, so a task added either way is treated alike.

The body is the op's, already checked against its entry (who may send it, the body's shape):
by the router for a message on the bus, by the CLI before it writes directly. So the rules of
who may send what (only the scorer reads a task's private part, only the supervisor records
its outbox's events) are the entries', not this table's. What is left here is the store's own
checking of what it is given (a task's fields, a score's, an attempt's: one-line errors). A
passing score archives the solution in the transaction that records it (store/_verdict.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from store._store import Store
from store.errors import StoreError, TaskNotFound
from store.lessons import DEFAULT_SHARE


@dataclass
class Request:
    store: Store
    body: dict[str, Any]  # checked against the op's entry: required fields are there, of their type
    sender: str
    archive_dir: Path | None

    def opt(self, key: str, default: Any = None) -> Any:
        """An optional field; absent or nil is `default`."""
        value = self.body.get(key)
        return default if value is None else value


def _task(req: Request, private: bool = False) -> dict[str, Any]:
    task = req.store.get_task(req.body["id"], private=private)
    if task is None:
        raise TaskNotFound(f"no task with id {req.body['id']!r}")
    return {"task": task}


def _add_many(req: Request) -> dict[str, Any]:
    return req.store.add_tasks_counted(req.body["tasks"])


def _score(req: Request) -> dict[str, Any]:
    """The verdict: records the score and completes the attempt and its task in one step."""
    code = req.opt("code")
    return req.store.record_score(req.body["score"], lease_id=req.opt("lease_id"),
                                  code=code if isinstance(code, str) else None, archive_dir=req.archive_dir)


def _release(req: Request) -> dict[str, Any]:
    return {"ok": req.store.release(req.body["lease_id"], req.opt("reason") or None)}


def _events(req: Request) -> dict[str, Any]:
    """The supervisor's outbox: the ids handled are its acknowledgement."""
    ids, errors = req.store.record_events(req.body["events"])
    return {"ids": ids, "errors": errors}


def _reflection(req: Request) -> dict[str, Any]:
    """Record a reflection (a lesson the model wrote joins its skill's lessons, in trial). Lessons
    are credited by the verdict, from the attempt's own record of what its prompt showed and held
    back (store/_lessons.py), not here: `lesson_ids` is accepted and ignored."""
    return {"id": req.store.record_reflection(req.body["reflection"])}


def _lessons(req: Request) -> dict[str, Any]:
    """With a task id: the lessons for that task's prompt by the random share (and those held
    back); without: the skill's best lessons that are not retired."""
    limit = req.opt("limit", 5)
    if req.opt("task_id") is None:
        return {"lessons": req.store.top_lessons(req.body["skill"], limit), "held": []}
    share = float(req.opt("share", DEFAULT_SHARE))
    if not 0.0 <= share <= 1.0:
        raise StoreError(f"lesson.top: share must be between 0 and 1, got {share}")
    return req.store.choose_lessons(req.body["skill"], limit, str(req.body["task_id"]), share)


def _exam_finish(req: Request) -> dict[str, Any]:
    req.store.finish_exam_run(req.body["run_id"], req.body["status"], str(req.opt("note", "")))
    return {}


def _exam_result(req: Request) -> dict[str, Any]:
    req.store.record_exam_result(req.body["result"])
    return {}


HANDLERS: dict[str, Callable[[Request], dict[str, Any]]] = {
    "task.add": lambda r: {"id": r.store.add_task(r.body["task"])},
    "task.add_many": _add_many,
    "task.list": lambda r: {"tasks": r.store.list_tasks(r.opt("status"), r.opt("source"), r.opt("limit", 100))},
    "task.show": _task,
    "task.cancel": lambda r: {"id": r.body["id"], "status": r.store.cancel_task(r.body["id"])},
    "task.lease": lambda r: {"lease": r.store.lease(r.body["builder"], float(r.body["ttl_s"]),
                                                    reclaim=r.opt("reclaim", False) is True)},
    "task.renew": lambda r: {"ok": r.store.renew(r.body["lease_id"], float(r.body["ttl_s"]))},
    "task.release": _release,
    "task.complete": lambda r: {"task_status": r.store.complete(r.body["lease_id"], r.body["attempt_id"],
                                                                 r.body["outcome"])},
    "task.private": lambda r: _task(r, private=True),
    "queue.stats": lambda r: {"stats": r.store.queue_stats(r.opt("source"), open_only=r.opt("open") is True)},
    "attempt.record": lambda r: {"id": r.store.record_attempt(r.body["attempt"])},
    "score.record": _score,
    "reflection.record": _reflection,
    "lesson.top": _lessons,
    "archive.similar": lambda r: {"example": r.store.similar_solution(
        r.body["skill"], r.body["difficulty"], r.opt("exclude_task"),
        {k: r.opt(k, "") for k in ("title", "prompt", "entry_point")})},
    "search.stats": lambda r: {"stats": r.store.search_stats(r.opt("model") or None)},
    "profile.snapshot": lambda r: {"id": r.store.snapshot_profile(r.body["profile"])},
    "profile.latest": lambda r: {"profile": r.store.latest_profile()},
    "scores.recent": lambda r: {"scores": r.store.recent_scores(r.opt("skill"), r.opt("limit", 100))},
    "event.log": lambda r: {"id": r.store.log_event(r.body["kind"], r.sender, r.body["body"])},
    "event.record": _events,
    # the exam (store/_exam.py): written apart from the training record
    "exam.create": lambda r: {"id": r.store.create_exam(r.body["exam"], r.body["tasks"],
                                                        seal=r.opt("seal", True) is True)},
    "exam.run.start": lambda r: {"id": r.store.start_exam_run(r.body["run"])},
    "exam.result": _exam_result,
    "exam.run.finish": _exam_finish,
    "exam.guard": lambda r: {"guard": r.store.exam_guard(), "runs": [
        {k: run[k] for k in ("id", "status", "training_attempts", "started_at")} for run in r.store.exam_runs()]},
}


def handle(store: Store, op: str, body: dict[str, Any], *, sender: str = "cli",
           archive_dir: str | Path | None = None) -> dict[str, Any]:
    """Run one memory op on a body its entry admitted; raises StoreError (one line) for what the
    store refuses."""
    if op not in HANDLERS:
        raise StoreError(f"unknown memory op {op!r}")
    return HANDLERS[op](Request(store, body, sender, Path(archive_dir) if archive_dir else None))
