"""The reads on every task's path cost the same at any history size (issue 17).

The builder's nearest example (`archive.similar`), its top lessons (`lesson.top`) and the
trainer's queue count after each score (`queue.stats` with `open`) read an index in order;
before schema v8 the first two sorted every row of the skill and the count walked every
trainer task ever made (137 ms, 36 ms and 12 ms a read at 100 000 rows). Asserted on SQLite's
own query plan and on how many rows a read visits, not on time; the answers are checked
against a plain scan-and-sort of the same rows.
"""

from __future__ import annotations

import sqlite3

import pytest

from store.service import handle
from tests.storehelp import clock, store, task  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit

N = 3000


def _fill(store) -> None:
    now = store.now()
    conn = store.db.conn
    with store.tx():
        conn.executemany(
            "INSERT INTO tasks (id, title, prompt, skill, difficulty, entry_point, status, source, source_rank, "
            "priority, attempts, created_at, updated_at) VALUES (?, 't', 'p', 'lists', ?, 'f', ?, 'trainer', 1, 0, 1, ?, ?)",
            [(f"h{i}", 1 + i % 10, "passed" if i % 50 else "queued", now, now) for i in range(N)])
        conn.executemany("INSERT INTO solutions (task_id, skill, difficulty, path, code, created_at) "
                         "VALUES (?, 'lists', ?, '/x', 'pass', ?)",
                         [(f"h{i}", 1 + (i * 7) % 10, f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z")
                          for i in range(0, N, 2)])
        conn.executemany("INSERT INTO lessons (skill, text, source, created_at, uses, passes) "
                         "VALUES ('lists', ?, 'reflection', ?, ?, ?)",
                         [(f"lesson {i}", f"2026-01-01T{i % 24:02d}:00:00.000000Z", i % 7, i % 3) for i in range(N)])


def _plan(store, sql: str, params: list) -> str:
    return " | ".join(row[3] for row in store.db.conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def _steps(store, fn) -> int:
    """SQLite virtual-machine steps while `fn` runs: rows visited, whatever the clock says."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0
    store.db.conn.set_progress_handler(tick, 1)
    try:
        fn()
    finally:
        store.db.conn.set_progress_handler(None, 1)
    return count[0]


def test_hot_reads_use_an_index_in_order_not_a_sort(store):
    _fill(store)
    near = _plan(store, "SELECT s.task_id FROM solutions s WHERE s.skill = ? AND s.difficulty = ? AND s.task_id IS NOT ? "
                 "ORDER BY s.created_at DESC LIMIT 1", ["lists", 4, "x"])
    lessons = _plan(store, "SELECT id FROM lessons WHERE skill = ? ORDER BY (passes + 1.0) / (uses + 2.0) DESC, "
                    "created_at DESC, id DESC LIMIT ?", ["lists", 3])
    assert "solutions_near" in near and "TEMP B-TREE" not in near, near
    assert "lessons_rank" in lessons and "TEMP B-TREE" not in lessons, lessons


@pytest.mark.parametrize("op, body", [
    ("archive.similar", {"skill": "lists", "difficulty": 4, "exclude_task": "x"}),
    ("lesson.top", {"skill": "lists", "limit": 3}),
    ("queue.stats", {"source": "trainer", "open": True}),
])
def test_a_hot_read_visits_about_as_many_rows_with_a_long_history_as_with_a_short_one(store, op, body):
    handle(store, op, body)
    empty = _steps(store, lambda: handle(store, op, body))
    _fill(store)
    full = _steps(store, lambda: handle(store, op, body))
    assert full < empty + 2000, (op, empty, full)  # a scan of the N rows would be ~10-50 steps a row


def test_the_answers_are_those_of_a_scan_and_sort(store):
    _fill(store)
    conn: sqlite3.Connection = store.db.conn
    for d in range(0, 13):
        want = conn.execute("SELECT task_id FROM solutions WHERE skill = 'lists' AND task_id IS NOT 'h8' "
                            "ORDER BY abs(difficulty - ?), created_at DESC LIMIT 1", [d]).fetchone()[0]
        assert store.similar_solution("lists", d, exclude_task="h8")["task_id"] == want, d
    want = [r[0] for r in conn.execute("SELECT id FROM lessons WHERE skill = 'lists' "
                                       "ORDER BY (passes + 1.0) / (uses + 2.0) DESC, created_at DESC, id DESC LIMIT 5")]
    assert [l["id"] for l in store.top_lessons("lists", 5)] == want
    assert store.queue_stats("trainer", open_only=True) == {"queued": N // 50, "leased": 0}
    assert store.queue_stats("trainer")["total"] == N  # the full count is still there for `cogloop wait`


def test_similar_solution_takes_the_newest_of_two_equally_near_levels(store, clock, tmp_path):
    ids = [store.add_task(task(i, difficulty=d)) for i, d in enumerate((3, 5, 5))]
    store.archive_solution(ids[0], "math", 3, "a = 1", tmp_path / "arch")
    clock.tick()
    store.archive_solution(ids[1], "math", 5, "b = 1", tmp_path / "arch")
    assert store.similar_solution("math", 4)["task_id"] == ids[1]  # 3 and 5 as near: the newer
    clock.tick()
    store.archive_solution(ids[0], "math", 3, "a = 2", tmp_path / "arch")  # a newer pass at 3
    assert store.similar_solution("math", 4)["task_id"] == ids[0]
    assert store.similar_solution("math", 4, exclude_task=ids[0])["task_id"] == ids[1]
    assert store.similar_solution("math", 9)["task_id"] == ids[1]
    assert store.similar_solution("math", 1)["task_id"] == ids[0]
