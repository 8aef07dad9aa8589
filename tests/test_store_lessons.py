"""Lessons in the record (store/_lessons.py): verdicts record what each prompt showed and held back,
the policy proves and retires lessons from those counts inside the verdict's transaction, a
retired lesson never reaches a builder, the fallback sentence is no longer a lesson, failures are
mined into lessons, and schema v9 keeps a v8 history's lessons."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from store import Store
from store.lessons import draw
from store.schema import MIGRATIONS
from store.service import handle
from tests.storehelp import Clock, judge, open_store, task

pytestmark = pytest.mark.unit


def attempt(store: Store, n: int, *, shown=(), held=(), skill="math", code="def add(a, b): return 0",
            error="", record_first=True, passed=False, entry_point="add"):
    """One leased, recorded and judged attempt at a new task; its prompt showed `shown`, held `held`."""
    tid = store.add_task(task(n, skill=skill, max_attempts=1, entry_point=entry_point,
                              reference=f"def {entry_point}(a, b):\n    return a + b\n"))
    lease = store.lease("b1", 60)
    record = {"id": lease["attempt_id"], "task_id": tid, "status": "failed", "code": code, "error": error,
              "llm_settings": {"lesson_ids": list(shown), "lessons_held": list(held)}}
    if record_first:
        store.record_attempt(record)
        judge(store, lease, passed=passed)
    else:  # the verdict overtakes the attempt's own record
        judge(store, lease, passed=passed)
        store.record_attempt(record)
    return lease["attempt_id"]


def exposures(store: Store) -> list[tuple]:
    return [tuple(r.values()) for r in store.rows(
        "SELECT attempt_id, lesson_id, shown, passed FROM lesson_exposures ORDER BY attempt_id, lesson_id")]


@pytest.mark.parametrize("record_first", [True, False])
def test_a_verdict_records_what_the_prompt_showed_and_held_back_once(tmp_path: Path, record_first: bool) -> None:
    with open_store(tmp_path / "h.db") as s:
        a, b, c = (s.add_lesson("math", f"lesson {i}", "reflection") for i in range(3))
        aid = attempt(s, 1, shown=[a], held=[b, 999], record_first=record_first, passed=True)
        assert exposures(s) == [(aid, a, 1, 1), (aid, b, 0, 1)]  # no row for an unknown lesson id
        rows = {r["id"]: r for r in s.rows("SELECT id, uses, passes FROM lessons")}
        assert (rows[a]["uses"], rows[a]["passes"], rows[b]["uses"], rows[c]["uses"]) == (1, 1, 0, 0)
        # retried messages (the verdict, the attempt) add nothing
        lease_attempt = s.db["attempts"].get(aid)
        s.record_score({"attempt_id": aid, "task_id": lease_attempt["task_id"], "total": 1.0, "passed": True})
        s.record_attempt({"id": aid, "task_id": lease_attempt["task_id"], "status": "failed",
                          "llm_settings": {"lesson_ids": [a], "lessons_held": [b]}})
        assert len(exposures(s)) == 2 and s.db["lessons"].get(a)["uses"] == 1


def test_the_verdict_transaction_carries_the_exposures(tmp_path: Path) -> None:
    """A verdict that fails inside its transaction leaves neither a score nor exposures."""
    with open_store(tmp_path / "h.db") as s:
        a = s.add_lesson("math", "lesson", "reflection")
        tid = s.add_task(task(1, max_attempts=1))
        lease = s.lease("b1", 60)
        s.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "failed",
                          "llm_settings": {"lesson_ids": [a], "lessons_held": []}})
        s.db.execute("CREATE TRIGGER boom AFTER INSERT ON lesson_exposures BEGIN SELECT RAISE(ABORT, 'boom'); END")
        with pytest.raises(Exception):
            judge(s, lease, passed=True)
        assert s.db["scores"].count == 0 and exposures(s) == [] and s.db["lessons"].get(a)["uses"] == 0


def test_lessons_are_proven_or_retired_at_min_uses_and_a_retired_one_never_reaches_a_builder(tmp_path: Path) -> None:
    with open_store(tmp_path / "h.db", lesson_min_uses=3) as s:
        good, bad = s.add_lesson("math", "helps", "reflection"), s.add_lesson("math", "hurts", "reflection")
        n = 0
        for shown_passes, held_passes, lesson in (([1, 1, 1], [0, 0, 0], good), ([0, 0, 0], [1, 1, 1], bad)):
            for p in shown_passes:
                n += 1
                attempt(s, n, shown=[lesson], passed=bool(p))
            assert s.db["lessons"].get(lesson)["state"] == "trial"  # one side still short of min_uses
            for p in held_passes[:-1]:
                n += 1
                attempt(s, n, held=[lesson], passed=bool(p))
            assert s.db["lessons"].get(lesson)["state"] == "trial"
            n += 1
            attempt(s, n, held=[lesson], passed=bool(held_passes[-1]))
        assert s.db["lessons"].get(bad)["state"] == "retired"
        assert s.db["lessons"].get(good)["state"] == "proven"
        events = {r["kind"] for r in s.rows("SELECT kind FROM events")}
        assert {"lesson.retired", "lesson.proven"} <= events
        # the bad lesson is gone from every read a builder or the exam makes; the good one always shows
        assert [l["id"] for l in s.top_lessons("math", 10)] == [good]
        for t in range(30):
            body = {"skill": "math", "limit": 5, "task_id": f"t{t}", "share": 0.5}
            reply = handle(s, "lesson.top", body, sender="builder-1")
            assert [l["id"] for l in reply["lessons"]] == [good] and reply["held"] == []
        for lesson in (good, bad):
            direct = s.one("SELECT sum(shown) AS s1, sum(shown * passed) AS p1, sum(1 - shown) AS s0, "
                           "sum((1 - shown) * passed) AS p0 FROM lesson_exposures WHERE lesson_id = ?", [lesson])
            assert tuple(direct.values()) == tuple(s.lesson_counts(lesson).__dict__.values())
        report = {r["id"]: r for r in s.lesson_report("math")}
        assert report[bad]["effect"]["estimate"] == -1.0 and report[good]["shown"] == 3


def test_lesson_top_with_a_task_follows_the_share_hash_and_writes_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "h.db") as s:
        ids = [s.add_lesson("strings", f"lesson {i}", "reflection") for i in range(6)]
        before = s.db.conn.total_changes
        reply = handle(s, "lesson.top", {"skill": "strings", "limit": 6, "task_id": "exam-7", "share": 0.5},
                       sender="builder-1")
        assert s.db.conn.total_changes == before
        assert {l["id"] for l in reply["lessons"]} == {i for i in ids if draw("exam-7", i) < 0.5}
        assert set(reply["held"]) == {i for i in ids if draw("exam-7", i) >= 0.5}
        assert reply == handle(s, "lesson.top", {"skill": "strings", "limit": 6, "task_id": "exam-7", "share": 0.5},
                               sender="builder-1")  # a rerun draws the same
        assert len(handle(s, "lesson.top", {"skill": "strings", "limit": 6}, sender="builder-1")["lessons"]) == 6


def test_the_rule_based_fallback_stays_in_the_reflection_and_is_not_a_lesson(tmp_path: Path) -> None:
    with open_store(tmp_path / "h.db") as s:
        tid = s.add_task(task(1))
        for source, text in (("rule", "Check indentation, brackets and colons."), ("llm", "Add a and b.")):
            s.record_reflection({"task_id": tid, "passed": False, "lesson": text,
                                 "details": {"source": source, "category": "syntax_error"}})
        assert {r["lesson"] for r in s.rows("SELECT lesson FROM reflections")} == {
            "Check indentation, brackets and colons.", "Add a and b."}
        assert [(l["text"], l["source"]) for l in s.rows("SELECT * FROM lessons")] == [("Add a and b.", "reflection")]
        assert s.rows("SELECT state FROM lessons") == [{"state": "trial"}]


def test_failed_verdicts_mine_the_skills_failures_into_one_lesson_per_pattern(tmp_path: Path) -> None:
    wrong = "def candidate(x):\n    return x[-1]\n"
    error = "missing entry point: the answer has a code block but no function named 'last_item'"
    with open_store(tmp_path / "h.db") as s:
        attempt(s, 1, skill="stacks_queues", code=wrong, error=error, entry_point="last_item")
        assert s.db["lessons"].count == 0  # once is not a pattern
        for n in (2, 3, 4, 5):
            attempt(s, n, skill="stacks_queues", code=wrong, error=error, entry_point="last_item")
        mined = s.rows("SELECT * FROM lessons WHERE source = 'mined'")
        assert len(mined) == 1 and mined[0]["pattern"] == "wrong_name" and mined[0]["state"] == "trial"
        assert mined[0]["text"] == "Name the function exactly as the task says, never `candidate` (an answer here wrote `candidate` for `last_item` and failed)."
        assert json.loads(mined[0]["evidence"])["count"] >= 4
        # retired stays retired: mining the pattern again only updates its evidence
        s.db.execute("UPDATE lessons SET state = 'retired'")
        attempt(s, 6, skill="stacks_queues", code=wrong, error=error, entry_point="last_item")
        assert [(l["state"], l["pattern"]) for l in s.rows("SELECT * FROM lessons")] == [("retired", "wrong_name")]


def test_v8_history_migrates_to_v9_keeping_its_lessons(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    db = sqlite_utils.Database(path)
    for n, migration in enumerate(MIGRATIONS[:8], start=1):
        migration(db)
        db.execute(f"PRAGMA user_version = {n}")
    db.execute("INSERT INTO lessons (skill, text, source, created_at, uses, passes) "
               "VALUES ('math', 'Add carefully.', 'reflection', '2026-01-01T00:00:00.000000Z', 12, 3)")
    db.conn.commit()
    db.close()
    with Store.open(path, clock=Clock()) as s:
        assert s.schema_version == 9
        row = s.db["lessons"].get(1)
        assert (row["text"], row["uses"], row["passes"], row["state"], row["pattern"]) == (
            "Add carefully.", 12, 3, "trial", "")
        assert (row["shown"], row["held"]) == (0, 0)  # the comparison starts with v9
        assert s.db["lesson_exposures"].count == 0 and [l["id"] for l in s.top_lessons("math")] == [1]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 9


def test_the_exam_sees_lessons_as_a_builder_would_and_writes_nothing(tmp_path: Path) -> None:
    """Trial lessons by their share hash on the exam task id, proven always, retired never; the
    exam's read leaves every lesson's record as it was."""
    from ops.commands._exam import MemoryReader
    from ops.context import Context
    from ops.ground.home import Home

    with open_store(tmp_path / "history.db") as s:
        ids = [s.add_lesson("math", f"lesson {i}", "reflection") for i in range(6)]
        s.db.execute("UPDATE lessons SET state = 'proven' WHERE id = ?", [ids[0]])
        s.db.execute("UPDATE lessons SET state = 'retired' WHERE id = ?", [ids[1]])
        s.db.conn.commit()
        before = s.rows("SELECT * FROM lessons ORDER BY id")
    ctx = Context(home=Home(tmp_path))
    reader = MemoryReader(ctx)
    try:
        for t in range(20):
            got = [l["id"] for l in reader.lessons("math", 6, f"exam-{t}")()]
            assert got[0] == ids[0] and ids[1] not in got
            assert set(got[1:]) == {i for i in ids[2:] if draw(f"exam-{t}", i) < ctx.config.builder.lesson_share}
    finally:
        reader.close()
    with open_store(tmp_path / "history.db") as s:
        assert s.rows("SELECT * FROM lessons ORDER BY id") == before and s.db["lesson_exposures"].count == 0



def test_mine_record_mines_an_old_home_once(tmp_path: Path) -> None:
    """A home trained before mining existed: its failed verdicts, replayed oldest first, give the
    lessons live mining gave, and a second replay adds none."""
    wrong = "def candidate(x):\n    return x[-1]\n"
    with open_store(tmp_path / "h.db") as s:
        for n in range(3):
            attempt(s, n, skill="stacks_queues", code=wrong, entry_point="last_item",
                    error="missing entry point: the answer has a code block but no function named 'last_item'")
        live = [(r["skill"], r["pattern"], r["text"]) for r in s.rows("SELECT * FROM lessons WHERE source = 'mined'")]
        assert live and all("never `candidate`" in t for _, p, t in live if p == "wrong_name")
        s.db.execute("DELETE FROM lessons")  # as a home trained before v9 has them: none mined
        assert s.mine_record() == len(live)
        again = [(r["skill"], r["pattern"], r["text"]) for r in s.rows("SELECT * FROM lessons WHERE source = 'mined'")]
        assert again == live
        assert s.mine_record() == 0
