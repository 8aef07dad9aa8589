"""Lessons in the record: adding them, choosing a prompt's lessons, and what each verdict does to
them (store/lessons.py has the policy, store/mining.py the mining; both pure).

A verdict (store/_verdict.py) and the attempt's own record (store/_records.py) may arrive in
either order; whichever comes second finds both and records the attempt's exposures, in its
transaction: one row per lesson the prompt showed or held back (`lesson_exposures`, keyed by
attempt and lesson, so a retry adds nothing), the shown ones' `uses`/`passes`, and each
lesson's state from its counts. A failed verdict also mines the skill's latest failures
(`_mine`; an attempt whose own record arrives after its verdict is read at the skill's next one).
"""

from __future__ import annotations

from typing import Any

from store._base import StoreBase, dumps, loads
from store.errors import StoreError
from store.lessons import SHOWN_STATES, Counts, effect, next_state, pick
from store.mining import WINDOW, mine

_ROW = "id, skill, text, source, state, uses, passes, created_at"
_RANK = "ORDER BY (passes + 1.0) / (uses + 2.0) DESC, created_at DESC, id DESC"


def _ids(value: Any) -> list[int]:
    return [int(i) for i in value or [] if isinstance(i, int) and not isinstance(i, bool)] \
        if isinstance(value, list) else []


class LessonsMixin(StoreBase):
    def _add_lesson(self, skill: str, text: str, source: str, pattern: str = "", evidence: str = "") -> int:
        text = " ".join(text.split())
        self.db.execute("INSERT OR IGNORE INTO lessons (skill, text, source, created_at, uses, passes, state, "
                        "pattern, evidence) VALUES (?, ?, ?, ?, 0, 0, 'trial', ?, ?)",
                        [skill, text, source, self.now(), pattern, evidence])
        row = self.one("SELECT id FROM lessons WHERE skill = ? AND text = ?", [skill, text])
        assert row is not None
        return int(row["id"])

    def add_lesson(self, skill: str, text: str, source: str) -> int:
        """A lesson for a skill (whitespace-normalised, deduplicated), in trial; its id."""
        if not skill or not text or not text.strip():
            raise StoreError("lesson: skill and text must not be empty")
        with self.tx():
            return self._add_lesson(skill, text, source)

    def top_lessons(self, skill: str, limit: int = 5) -> list[dict[str, Any]]:
        """The skill's lessons that may be shown (not retired), ranked by how often they preceded a
        pass (Laplace-smoothed), newest first on ties. The ORDER BY is schema v8's lessons_rank
        index, term for term: read in order, not sorted."""
        return self.rows(f"SELECT {_ROW} FROM lessons WHERE skill = ? AND state != 'retired' {_RANK} LIMIT ?",
                         [skill, int(limit)])

    def choose_lessons(self, skill: str, limit: int, task_id: str, share: float) -> dict[str, Any]:
        """The lessons for one prompt of `task_id` (store/lessons.py `pick`): {"lessons": shown,
        best first; "held": ids of the trial lessons the random share held back}."""
        marks = ", ".join("?" for _ in SHOWN_STATES)
        rows = self.rows(f"SELECT {_ROW} FROM lessons WHERE skill = ? AND state IN ({marks}) "
                         f"ORDER BY state = 'proven' DESC, (passes + 1.0) / (uses + 2.0) DESC, created_at DESC, id DESC",
                         [skill, *SHOWN_STATES])
        shown, held = pick(rows, task_id, share, limit)
        return {"lessons": [dict(r) for r in shown], "held": held}

    def lesson_outcome(self, lesson_ids: list[int], passed: bool) -> None:
        """Count one use of each lesson, and one pass if the attempt passed (outside the exposure
        record: kept for imports and tests; the daemon counts through verdicts)."""
        if not lesson_ids:
            return
        marks = ", ".join("?" for _ in lesson_ids)
        with self.tx():
            self.db.execute(f"UPDATE lessons SET uses = uses + 1, passes = passes + ? WHERE id IN ({marks})",
                            [int(bool(passed)), *[int(i) for i in lesson_ids]])

    def lesson_counts(self, lesson_id: int) -> Counts:
        """The randomised comparison so far: judged attempts shown and held back, and their passes."""
        row = self.one("SELECT coalesce(sum(shown), 0) AS n1, coalesce(sum(shown * passed), 0) AS p1, "
                       "coalesce(sum(1 - shown), 0) AS n0, coalesce(sum((1 - shown) * passed), 0) AS p0 "
                       "FROM lesson_exposures WHERE lesson_id = ?", [int(lesson_id)])
        assert row is not None
        return Counts(row["n1"], row["p1"], row["n0"], row["p0"])

    def lesson_report(self, skill: str | None = None) -> list[dict[str, Any]]:
        """Every lesson (of `skill`) with its state, comparison counts and effect (None before
        both sides have an attempt): for `cogloop lessons` and reports."""
        where, params = ("WHERE skill = ?", [skill]) if skill else ("", [])
        out = []
        for r in self.rows(f"SELECT {_ROW}, pattern, evidence FROM lessons {where} ORDER BY skill, id", params):
            c = self.lesson_counts(r["id"])
            e = effect(c)
            out.append({**r, "evidence": loads(r["evidence"], {}) if r["evidence"] else {},
                        "shown": c.shown, "shown_passed": c.shown_passed, "held": c.held,
                        "held_passed": c.held_passed,
                        "effect": None if e is None else {"estimate": e.estimate, "low": e.low, "high": e.high}})
        return out

    def _lesson_verdict(self, attempt_id: str) -> None:
        """Record the exposures of a judged attempt and apply their consequences; a no-op until
        both its verdict and its settings (the lesson ids it showed and held) are recorded, and
        after the first time. Runs inside the caller's transaction."""
        row = self.one("SELECT a.task_id, a.llm_settings, s.passed, s.skill FROM attempts a "
                       "JOIN scores s ON s.attempt_id = a.id WHERE a.id = ?", [attempt_id])
        if row is None:
            return
        settings = loads(row["llm_settings"], {})
        if not isinstance(settings, dict):
            return
        shown = _ids(settings.get("lesson_ids"))
        held = [i for i in _ids(settings.get("lessons_held")) if i not in shown]
        passed, now, fresh = int(bool(row["passed"])), self.now(), []
        for lesson_id, flag in [*((i, 1) for i in shown), *((i, 0) for i in held)]:
            cur = self.db.execute("INSERT OR IGNORE INTO lesson_exposures (attempt_id, lesson_id, task_id, shown, "
                                  "passed, created_at) SELECT ?, id, ?, ?, ?, ? FROM lessons WHERE id = ?",
                                  [attempt_id, row["task_id"], flag, passed, now, lesson_id])
            if cur.rowcount:
                fresh.append((lesson_id, flag))
        if not fresh:
            return
        used = [i for i, flag in fresh if flag]
        if used:
            marks = ", ".join("?" for _ in used)
            self.db.execute(f"UPDATE lessons SET uses = uses + 1, passes = passes + ? WHERE id IN ({marks})",
                            [passed, *used])
        for lesson_id, _ in fresh:
            self._lesson_state(lesson_id)

    def _lesson_state(self, lesson_id: int) -> None:
        lesson = self.one("SELECT id, skill, state FROM lessons WHERE id = ?", [lesson_id])
        assert lesson is not None
        counts = self.lesson_counts(lesson_id)
        state = next_state(lesson["state"], counts, self.lesson_min_uses)
        if state != lesson["state"]:
            self.db.execute("UPDATE lessons SET state = ? WHERE id = ?", [state, lesson_id])
            e = effect(counts)
            self._event(f"lesson.{state}", "memory", {"lesson_id": lesson_id, "skill": lesson["skill"],
                                                     "counts": counts.__dict__, "effect": e.__dict__ if e else None})

    def _mine(self, skill: str) -> None:
        """Mine the skill's latest failed attempts; a new pattern becomes a lesson in trial, a
        known one (in any state) only gets its evidence brought up to date."""
        rows = self.rows("SELECT a.id, a.code, a.error, t.entry_point, s.passed FROM scores s "
                         "JOIN attempts a ON a.id = s.attempt_id JOIN tasks t ON t.id = a.task_id "
                         "WHERE s.skill = ? AND s.passed = 0 ORDER BY s.created_at DESC, s.rowid DESC LIMIT ?",
                         [skill, WINDOW])
        for m in mine(rows):
            evidence = dumps(m.evidence())
            known = self.one("SELECT id FROM lessons WHERE skill = ? AND pattern = ?", [skill, m.pattern])
            if known is not None:
                self.db.execute("UPDATE lessons SET evidence = ? WHERE id = ?", [evidence, known["id"]])
            else:
                self._add_lesson(skill, m.text, "mined", m.pattern, evidence)
