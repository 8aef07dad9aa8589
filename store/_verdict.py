"""The verdict: recording an attempt's score *is* completing it.

One transaction stores the score, closes the attempt, moves the task (passed, failed, back to
the queue; store/_rules.py), records what it says of the lessons its prompt showed or held back
(store/_lessons.py) and, for a pass, archives the solution. So a builder killed right
after its candidate was scored loses nothing, a lease reclaim or a release never undoes a
verdict, and nothing needs the builder's later word. The scorer's request carries what this
needs (the attempt id, its lease id and the code), so the archive does not wait for the
attempt's own record to arrive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store._archive import ArchiveMixin
from store._base import dumps, new_id
from store._lessons import LessonsMixin
from store._queue import _CLEAR_LEASE, QueueMixin
from store._records import SCORE_FIELDS, _known
from store._rules import after_verdict, refuse_verdict
from store.errors import StoreError


class VerdictMixin(QueueMixin, ArchiveMixin, LessonsMixin):
    def record_score(self, score: dict[str, Any], *, lease_id: str | None = None, code: str | None = None,
                     archive_dir: str | Path | None = None) -> dict[str, Any]:
        """Record a verdict and complete its attempt; idempotent by score id and by attempt id.

        `lease_id`, when given, must be the attempt's; `code` is archived for a pass (else the
        attempt's recorded code); `archive_dir` None archives nothing. Returns `{"id", "recorded",
        "task_status"}` and, when the verdict is not recorded (its task is already passed, failed
        or cancelled, or has its maximum of scored attempts), `"reason"` and `"id": None`."""
        s = _known("score", score, SCORE_FIELDS)
        missing = [k for k in ("attempt_id", "task_id", "total", "passed") if s.get(k) is None]
        if missing:
            raise StoreError(f"score: missing {', '.join(missing)}")
        s["id"] = s.get("id") or new_id()
        passed = bool(s["passed"])
        s["passed"] = int(passed)
        s["details"] = dumps(s.get("details") or {})
        with self.tx():
            existing = self.one("SELECT s.id, t.status FROM scores s JOIN tasks t ON t.id = s.task_id "
                                "WHERE s.id = ? OR s.attempt_id = ?", [s["id"], s["attempt_id"]])
            if existing is not None:
                return {"id": existing["id"], "recorded": True, "task_status": existing["status"]}
            a = self._judged_attempt(s, lease_id)
            scored, lost = self._counts(a["task_id"])
            why = refuse_verdict(a["status"], scored, a["max_attempts"])
            if why:
                return {"id": None, "recorded": False, "task_status": a["status"], "reason": why}
            s.setdefault("skill", a["skill"])
            s.setdefault("difficulty", a["difficulty"])
            s["created_at"] = now = self.now()
            self.insert("scores", s)
            scored += 1
            lost -= a["lost"] is not None  # a late verdict on lost work un-loses it
            holds = a["status"] == "leased" and a["task_lease"] == a["lease_id"]
            status = after_verdict(a["status"], passed, scored, a["max_attempts"], holds)
            clear = f", {_CLEAR_LEASE}" if holds or status in ("passed", "failed") else ""
            error = ", error = NULL" if a["status"] == "error" and status != "error" else ""
            self.db.execute(f"UPDATE tasks SET status = ?, attempts = ?, lost = ?, updated_at = ?{clear}{error} "
                            "WHERE id = ?", [status, scored, lost, now, a["task_id"]])
            outcome = "passed" if passed else "failed"
            self.db.execute("UPDATE attempts SET outcome = ?, completed_at = ?, finished_at = coalesce(finished_at, ?), "
                            "code = coalesce(code, ?), status = CASE WHEN status = 'running' THEN ? ELSE status END "
                            "WHERE id = ?", [outcome, now, now, code, outcome, a["id"]])
            self._lesson_verdict(a["id"])  # the lessons its prompt showed or held back (store/_lessons.py)
            if not passed:
                self._mine(s["skill"], a["id"])  # this model's recurring failures become lessons (store/mining.py)
            kept = code if code else a["code"]
            if passed and archive_dir is not None and kept:
                self._archive(a["task_id"], s["skill"], s["difficulty"], kept, archive_dir)
        return {"id": s["id"], "recorded": True, "task_status": status}

    def _judged_attempt(self, score: dict[str, Any], lease_id: str | None) -> dict[str, Any]:
        """The attempt a score judges with its task's state (one read), checked against the
        score's task and the given lease."""
        a = self.one("SELECT a.id, a.task_id, a.lease_id, a.code, a.lost, t.status, t.skill, t.difficulty, "
                     "t.max_attempts, t.lease_id AS task_lease FROM attempts a JOIN tasks t ON t.id = a.task_id "
                     "WHERE a.id = ?", [score["attempt_id"]])
        if a is None:
            if self.one("SELECT 1 FROM tasks WHERE id = ?", [score["task_id"]]) is None:
                raise StoreError(f"score: no task with id {score['task_id']!r}")
            raise StoreError(f"score: unknown attempt {score['attempt_id']!r} (a verdict needs the attempt "
                             "its lease created)")
        if a["task_id"] != score["task_id"]:
            raise StoreError(f"score: attempt {a['id']} is of task {a['task_id']}, not {score['task_id']}")
        if lease_id is not None and a["lease_id"] != lease_id:
            raise StoreError(f"score: attempt {a['id']} does not belong to lease {lease_id}")
        return a
