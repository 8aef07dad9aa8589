"""Lessons in the record: adding them, choosing a prompt's lessons, and what each verdict does to
them (store/lessons.py has the policy, store/mining.py the mining; both pure).

A verdict (store/_verdict.py) and the attempt's own record (store/_records.py) may arrive in
either order; whichever comes second finds both and records the attempt's exposures, in its
transaction: one row per lesson the prompt showed or held back (`lesson_exposures`, keyed by
attempt and lesson, so a retry adds nothing), the lesson's counts on its side (shown: also
`uses`/`passes`), and its state from those counts: one row read per lesson, whatever the size of
the history. A failed verdict also mines its attempt (`_mine`; an attempt whose own record
arrives after its verdict is seen only when a later failure sends mining over the window).
"""

from __future__ import annotations

from typing import Any

from store._base import StoreBase, dumps, loads
from store.errors import StoreError
from store.lessons import SHOWN_STATES, Counts, effect, next_state, pick
from store.mining import WINDOW, detect, mine

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
        """The randomised comparison so far: judged attempts shown and held back, and their passes
        (the counts of its `lesson_exposures` rows, kept on the lesson)."""
        row = self.one("SELECT shown, shown_passes, held, held_passes FROM lessons WHERE id = ?", [int(lesson_id)])
        return Counts(*row.values()) if row else Counts()

    def lesson_report(self, skill: str | None = None) -> list[dict[str, Any]]:
        """Every lesson (of `skill`) with its state, comparison counts and effect (None before
        both sides have an attempt): for `cogloop lessons` and reports."""
        where, params = ("WHERE skill = ?", [skill]) if skill else ("", [])
        out = []
        for r in self.rows(f"SELECT {_ROW}, pattern, evidence, shown, shown_passes, held, held_passes FROM lessons "
                           f"{where} ORDER BY skill, id", params):
            c = Counts(r.pop("shown"), r.pop("shown_passes"), r.pop("held"), r.pop("held_passes"))
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
        for lesson_id, flag in fresh:
            side = "uses = uses + 1, passes = passes + :p, shown = shown + 1, shown_passes = shown_passes + :p" \
                if flag else "held = held + 1, held_passes = held_passes + :p"
            self.db.execute(f"UPDATE lessons SET {side} WHERE id = :id", {"p": passed, "id": lesson_id})
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

    def mine_record(self) -> int:
        """Mine every failed verdict of the record, oldest first, as each verdict would have been
        mined when it came in: for a home trained before lessons were mined (schema < 9). Mining
        is idempotent per (skill, pattern), so a second call adds no lesson. Returns the lessons
        added."""
        before = self.one("SELECT count(*) AS n FROM lessons WHERE source = 'mined'")["n"]
        failed = self.rows("SELECT s.skill, s.attempt_id FROM scores s WHERE s.passed = 0 "
                           "ORDER BY s.created_at, s.rowid")
        with self.tx():
            for r in failed:
                self._mine(r["skill"], r["attempt_id"])
        return self.one("SELECT count(*) AS n FROM lessons WHERE source = 'mined'")["n"] - before

    def _mine(self, skill: str, attempt_id: str) -> None:
        """Mine a failed attempt: each pattern it shows that is already a lesson of the skill (in
        any state) gets this attempt as evidence; a pattern that is not yet one sends mining over
        the skill's latest failures (`WINDOW`), and becomes a lesson in trial once `MIN_EVIDENCE`
        of them show it. Runs inside the verdict's transaction."""
        row = self.one("SELECT a.id, a.code, a.error, t.entry_point, 0 AS passed FROM attempts a "
                       "JOIN tasks t ON t.id = a.task_id WHERE a.id = ?", [attempt_id])
        new = set()
        for pattern, _, _ in detect(row or {}):
            known = self.one("SELECT id, evidence FROM lessons WHERE skill = ? AND pattern = ?", [skill, pattern])
            if known is None:
                new.add(pattern)
                continue
            ev = loads(known["evidence"], {}) or {}
            ev = ev if isinstance(ev, dict) else {}
            ev["count"] = int(ev.get("count") or 0) + 1
            ev["attempts"] = [attempt_id, *[a for a in ev.get("attempts") or [] if a != attempt_id]][:10]
            self.db.execute("UPDATE lessons SET evidence = ? WHERE id = ?", [dumps(ev), known["id"]])
        if not new:
            return
        rows = self.rows("SELECT a.id, a.code, a.error, t.entry_point, s.passed FROM scores s "
                         "JOIN attempts a ON a.id = s.attempt_id JOIN tasks t ON t.id = a.task_id "
                         "WHERE s.skill = ? AND s.passed = 0 ORDER BY s.created_at DESC, s.rowid DESC LIMIT ?",
                         [skill, WINDOW])
        for m in mine(rows):
            if m.pattern in new:
                self._add_lesson(skill, m.text, "mined", m.pattern, dumps(m.evidence()))
