"""Records around attempts: the attempt itself, the reflection, lessons, profile snapshots and
events (the score, which is the verdict, is store/_verdict.py). Every record_* is idempotent
by id, so a retried message is harmless."""

from __future__ import annotations

from typing import Any

from store._base import dumps, loads, new_id
from store._db import epoch
from store._lessons import LessonsMixin
from store.errors import StoreError, TaskNotFound

ATTEMPT_FIELDS = ("id", "task_id", "builder", "lease_id", "attempt_no", "prompt", "response", "code",
                  "llm_settings", "status", "error", "visible_passed", "visible_total", "repair_rounds",
                  "tokens_in", "tokens_out", "llm_latency_s", "started_at", "finished_at")
ATTEMPT_STATUSES = ("passed", "failed", "error")
SCORE_FIELDS = ("id", "attempt_id", "task_id", "skill", "difficulty", "correctness", "robustness",
                "efficiency", "elegance", "total", "passed", "details")
PROFILE_EVERY_S = 60.0  # profile history: about one row a minute (the latest always current)
REFLECTION_FIELDS = ("id", "attempt_id", "task_id", "skill", "passed", "strengths", "weaknesses",
                     "lesson", "details")


def _known(kind: str, record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise StoreError(f"{kind}: expected a map, got {type(record).__name__}")
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise StoreError(f"{kind}: unknown field(s) {', '.join(unknown)}")
    return dict(record)


def _text(value: Any) -> Any:
    """Lists (e.g. strengths) are kept as JSON text; strings and None as they are."""
    return dumps(value) if isinstance(value, (list, dict)) else value


class RecordsMixin(LessonsMixin):
    def _task_or_raise(self, task_id: Any) -> dict[str, Any]:
        row = self.one("SELECT id, skill, difficulty FROM tasks WHERE id = ?", [task_id])
        if row is None:
            raise TaskNotFound(f"no task with id {task_id!r}")
        return row

    def record_attempt(self, attempt: dict[str, Any]) -> str:
        """Store an attempt's prompt, response, code and LLM settings; idempotent by id.

        Fills the row its lease created (a retry writes the same values again). Its verdict,
        `outcome` and `lost` are not the builder's to set. An attempt whose status is `error` (no
        usable code) is also an `attempt.error` event, once."""
        a = _known("attempt", attempt, ATTEMPT_FIELDS)
        if a.get("status") not in ATTEMPT_STATUSES:
            raise StoreError(f"attempt: status must be one of {', '.join(ATTEMPT_STATUSES)}, got {a.get('status')!r}")
        a["id"] = a.get("id") or new_id()
        if "llm_settings" in a:
            a["llm_settings"] = dumps(a["llm_settings"] or {})
        with self.tx():
            if self.one("SELECT 1 FROM attempts WHERE id = ?", [a["id"]]) is None:
                self._task_or_raise(a.get("task_id"))
                a.setdefault("started_at", self.now())
            a.setdefault("finished_at", self.now())
            self.insert("attempts", a, upsert_pk="id")
            self._lesson_verdict(a["id"])  # when its verdict came first (store/_lessons.py)
            if a["status"] == "error":
                row = self.one("SELECT task_id, builder FROM attempts WHERE id = ?", [a["id"]])
                assert row is not None
                self._event("attempt.error", row["builder"] or "", {
                    "attempt_id": a["id"], "task_id": row["task_id"],
                    "reason": str(a.get("error") or "no usable code")[:1000], "judged": True},
                    event_id=f"attempt.error-{a['id']}")
        return a["id"]

    def recent_scores(self, skill: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Scores newest first, `passed` as a bool and `details` as a map."""
        where, params = ("WHERE skill = ?", [skill]) if skill else ("", [])
        rows = self.rows(f"SELECT * FROM scores {where} ORDER BY created_at DESC, rowid DESC LIMIT ?",
                         [*params, int(limit)])
        for r in rows:
            r["passed"] = bool(r["passed"])
            r["details"] = loads(r["details"], {})
        return rows

    def record_reflection(self, reflection: dict[str, Any]) -> str:
        """Store a reflection; its `lesson`, if the model wrote it, joins the lessons of its skill
        in trial. A rule-based lesson (details.source "rule": the fallback sentence when the model
        gave none) stays in the reflection row only: on the embedded model's exam those canned
        sentences lost 8 tasks and gained 3 (docs/exam.md, Lessons)."""
        r = _known("reflection", reflection, REFLECTION_FIELDS)
        r["id"] = r.get("id") or new_id()
        for key in ("strengths", "weaknesses", "details"):
            r[key] = _text(r.get(key))
        if r.get("passed") is not None:
            r["passed"] = int(bool(r["passed"]))
        with self.tx():
            if self.one("SELECT id FROM reflections WHERE id = ?", [r["id"]]) is not None:
                return r["id"]
            if r.get("task_id") and not r.get("skill"):
                r["skill"] = self._task_or_raise(r["task_id"])["skill"]
            r["created_at"] = self.now()
            self.insert("reflections", r)
            source = (reflection.get("details") or {}).get("source") if isinstance(reflection.get("details"), dict) else None
            if r.get("lesson") and r.get("skill") and source != "rule":
                self._add_lesson(r["skill"], str(r["lesson"]), "reflection")
        return r["id"]

    def snapshot_profile(self, profile: dict[str, Any], *, every_s: float = PROFILE_EVERY_S) -> str:
        """Keep the trainer's view of the builder: the latest row is always this profile (the
        trainer resumes from it), older rows stay about `every_s` apart (the report's ability
        chart). Unchanged: nothing written. Less than `every_s` after the row before the latest:
        the latest row is brought up to date. Else a new row. (One row per attempt was 40 % of
        the database after 525 attempts.) Returns the id of the row that holds it."""
        if not isinstance(profile, dict):
            raise StoreError(f"profile: expected a map, got {type(profile).__name__}")
        text = dumps(profile)
        with self.tx():
            last = self.rows("SELECT id, created_at, profile FROM profile ORDER BY created_at DESC, rowid DESC "
                             "LIMIT 2")
            if last and last[0]["profile"] == text:
                return last[0]["id"]
            if len(last) == 2 and self.clock() - epoch(last[1]["created_at"]) < every_s:
                self.db.execute("UPDATE profile SET profile = ?, created_at = ? WHERE id = ?",
                                [text, self.now(), last[0]["id"]])
                return last[0]["id"]
            sid = new_id()
            self.insert("profile", {"id": sid, "created_at": self.now(), "profile": text})
        return sid

    def latest_profile(self) -> dict[str, Any] | None:
        row = self.one("SELECT profile FROM latest_profile")
        return loads(row["profile"], {}) if row else None

    def log_event(self, kind: str, actor: str, body: dict[str, Any] | None = None) -> str:
        """Append an event (state changes, restarts, errors) to the system log."""
        eid = new_id()
        with self.tx():
            self._event(kind, actor, body or {}, eid)
        return eid

    def record_events(self, events: Any) -> tuple[list[str], list[str]]:
        """Record events that carry their own id and time (the supervisor's outbox), each once:
        an id already recorded is skipped, so a resend after a crash adds nothing.

        Returns (ids handled: recorded now or before, one-line errors for malformed ones)."""
        if not isinstance(events, list):
            raise StoreError(f"events: expected a list, got {type(events).__name__}")
        done, errors, rows = [], [], []
        for n, e in enumerate(events, start=1):
            problem = _event_problem(e)
            if problem:
                errors.append(f"#{n}: {problem}")
                continue
            rows.append({"id": e["id"], "ts": e["ts"], "kind": e["kind"], "actor": e["actor"], "body": dumps(e["body"])})
        with self.tx():
            for row in rows:
                self.insert("events", row, ignore=True)
                done.append(row["id"])
        return done, errors


def _event_problem(e: Any) -> str | None:
    """What is wrong with one outbox event ({id, ts, kind, actor, body}), or None."""
    if not isinstance(e, dict):
        return f"expected a map, got {type(e).__name__}"
    for key in ("id", "ts", "kind", "actor"):
        if not isinstance(e.get(key), str) or not e[key] or len(e[key]) > 128:
            return f"{key}: required, a string of 1 to 128 characters"
    if not isinstance(e.get("body"), dict):
        return "body: required, a map"
    return None
