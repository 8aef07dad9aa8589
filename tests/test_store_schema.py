"""Schema creation, WAL, migration of an older database, refusal of a newer or foreign one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import SCHEMA_VERSION, SchemaTooNew, Store, StoreCorrupt, StoreError, StoreMissing
from store.invariants import violations
from tests.storehelp import task

pytestmark = pytest.mark.unit

V1_SQL = (Path(__file__).parent / "data" / "history_v1.sql").read_text()
TABLES = {"tasks", "attempts", "scores", "reflections", "lessons", "skills", "profile", "events", "solutions"}
HOT_PATH_INDEXES = {"attempts_lease", "tasks_queue_order", "tasks_source_status", "profile_created", "scores_task"}
VIEWS = {"queue", "latest_profile", "skill_pass_rate", "skill_progress", "recent_attempts"}


def test_fresh_database_has_plain_tables_views_and_wal(tmp_path):
    with Store.open(tmp_path / "h" / "history.db") as s:
        assert s.schema_version == SCHEMA_VERSION == 9
        assert TABLES <= set(s.db.table_names())
        assert VIEWS <= set(s.db.view_names())
        assert s.db.journal_mode == "wal"
        assert {"prompt", "response", "llm_settings"} <= set(s.db["attempts"].columns_dict)


def test_reopen_is_a_no_op(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as s:
        tid = s.add_task(task())
    with Store.open(path) as s:
        assert s.get_task(tid)["title"] == "Add #0"
        assert s.schema_version == SCHEMA_VERSION


def test_v1_database_made_by_hand_is_upgraded_on_open(tmp_path):
    path = tmp_path / "history.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL)
    conn.execute("INSERT INTO tasks (id, title, prompt, skill, difficulty, entry_point, hidden_tests, constraints,"
                 " source, source_rank, priority, max_attempts, meta, status, attempts, created_at, updated_at)"
                 " VALUES ('old1', 'Old task', 'p', 'strings', 3, 'f', 'assert 1', '{}', 'user', 0, 0, 3, '{}',"
                 " 'queued', 0, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')")
    conn.execute("INSERT INTO lessons (skill, text, source, created_at) VALUES ('strings', 'strip input', 'x', 'now')")
    conn.commit()
    conn.close()
    assert "uses" not in V1_SQL  # the v1 lessons table really lacks the v2 columns

    with Store.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.get_task("old1", private=True)["title"] == "Old task"
        assert s.get_task("old1", private=True)["context"] == ""  # tasks gained a trusted context
        assert s.top_lessons("strings") == [
            {"id": 1, "skill": "strings", "text": "strip input", "source": "x", "state": "trial", "uses": 0,
             "passes": 0, "created_at": "now"}]
        assert {"solutions"} <= set(s.db.table_names()) and "skill_pass_rate" in s.db.view_names()
        assert HOT_PATH_INDEXES <= {i.name for t in ("tasks", "attempts", "profile", "scores") for i in s.db[t].indexes}
        lease = s.lease("b1", 60)
        assert lease["task"]["id"] == "old1"


def test_newer_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "history.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as err:
        Store.open(path)
    assert f"schema version 99 is newer than this cogloop understands ({SCHEMA_VERSION})" in str(err.value)
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(StoreCorrupt, match="not a cogloop history"):
        Store.open(path)


def test_readonly_open(tmp_path):
    path = tmp_path / "history.db"
    with pytest.raises(StoreMissing):
        Store.open(path, readonly=True)
    assert not path.exists()
    with Store.open(path) as s:
        s.add_task(task())
    with Store.open(path, readonly=True) as r:
        assert len(r.list_tasks()) == 1
        with pytest.raises(StoreError, match="read-only"):
            r.add_task(task(1))


def test_readonly_open_of_old_schema_asks_for_upgrade(tmp_path):
    path = tmp_path / "history.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL)
    conn.close()
    with pytest.raises(StoreError, match=f"older than {SCHEMA_VERSION}; open it read-write once"):
        Store.open(path, readonly=True)


def test_the_lease_path_finds_attempts_by_index_not_by_scanning(tmp_path):
    """v3/v4: reclaiming expired leases (every lease, every sweep) must not scan all attempts."""
    with Store.open(tmp_path / "history.db") as s:
        plan = " ".join(str(r) for r in s.db.execute(
            "EXPLAIN QUERY PLAN SELECT t.id, a.id FROM tasks t LEFT JOIN attempts a ON a.lease_id = t.lease_id "
            "WHERE t.status = 'leased' AND t.lease_expires_at < ''"))
        assert "attempts_lease" in plan and "SCAN attempts" not in plan and "SCAN t" not in plan
        # v4: a verdict counts its task's verdicts and lost attempts by index, not by scanning
        counts = " ".join(str(r) for r in s.db.execute(
            "EXPLAIN QUERY PLAN SELECT (SELECT count(*) FROM scores WHERE task_id = 'x'), "
            "(SELECT count(*) FROM attempts a WHERE a.task_id = 'x' AND a.lost IS NOT NULL AND "
            "NOT EXISTS (SELECT 1 FROM scores s WHERE s.attempt_id = a.id))"))
        assert "SCAN scores" not in counts and "SCAN a " not in counts + " " and "scores_task" in counts
        head = " ".join(str(r) for r in s.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE status = 'queued' "
            "ORDER BY source_rank, priority DESC, created_at, rowid LIMIT 1"))
        assert "TEMP B-TREE" not in head  # the queue head comes straight off the index


def _v3_database(path: Path) -> None:
    """A v3 history holding what v3's bugs left behind (issue 10), written by v3's own migrations."""
    import sqlite_utils

    from store import schema

    db = sqlite_utils.Database(path)
    for n, migration in enumerate(schema.MIGRATIONS[:3], start=1):
        migration(db)
        db.execute(f"PRAGMA user_version = {n}")
    ts = "2026-01-01T00:00:00.000000Z"
    tasks = {  # id: (status, attempts counter as v3 left it, max_attempts)
        "lost-pass": ("failed", 1, 1),      # scored passed, builder killed before task.complete, reclaimed
        "over-count": ("queued", 0, 3),     # three failed verdicts, release() put the counter back
        "no-verdict": ("failed", 1, 1),     # failed by a reclaim alone: never judged
        "in-flight": ("queued", 1, 3),      # one expiry so far, no verdict
        "fine": ("passed", 1, 3),
    }
    for tid, (status, attempts, max_attempts) in tasks.items():
        db.execute("INSERT INTO tasks (id, title, prompt, skill, difficulty, entry_point, hidden_tests, constraints, "
                   "source, source_rank, priority, max_attempts, meta, status, attempts, created_at, updated_at) "
                   "VALUES (?, ?, 'p', 'math', 1, 'f', 'assert 1', '{}', 'user', 0, 0, ?, '{}', ?, ?, ?, ?)",
                   [tid, tid, max_attempts, status, attempts, ts, ts])
    attempts = [("a1", "lost-pass", "passed", 1), ("a2", "over-count", "failed", 0), ("a3", "over-count", "failed", 0),
                ("a4", "over-count", "failed", 0), ("a5", "no-verdict", "expired", None),
                ("a6", "in-flight", "expired", None), ("a7", "fine", "passed", 1)]
    for aid, tid, status, passed in attempts:
        db.execute("INSERT INTO attempts (id, task_id, builder, lease_id, attempt_no, status, started_at) "
                   "VALUES (?, ?, 'b', ?, 1, ?, ?)", [aid, tid, "l" + aid, status, ts])
        if passed is not None:
            db.execute("INSERT INTO scores (id, attempt_id, task_id, skill, difficulty, total, passed, details, "
                       "created_at) VALUES (?, ?, ?, 'math', 1, ?, ?, '{}', ?)", ["s" + aid, aid, tid, passed, passed, ts])
    db.conn.commit()
    db.close()


def test_v3_database_is_brought_under_the_v4_rules_from_its_record(tmp_path):
    path = tmp_path / "history.db"
    _v3_database(path)
    with sqlite3.connect(path) as conn:  # what `cogloop doctor` says of it before the upgrade
        assert violations(conn) == {"pass_not_passed": ["lost-pass"], "failed_without_verdict": ["no-verdict"]}
    with Store.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        got = {t["id"]: (t["status"], t["attempts"], t["lost"]) for t in
               s.rows("SELECT id, status, attempts, lost FROM tasks")}
        assert got == {"lost-pass": ("passed", 1, 0), "over-count": ("failed", 3, 0),
                       "no-verdict": ("error", 0, 1), "in-flight": ("queued", 0, 1), "fine": ("passed", 1, 0)}
        assert s.get_task("no-verdict")["error"] == "failed without a scored attempt (before schema v4)"
        a1 = s.db["attempts"].get("a1")
        assert (a1["outcome"], a1["completed_at"]) == ("passed", "2026-01-01T00:00:00.000000Z")
        assert s.db["attempts"].get("a6")["lost"] == "lease expired (recorded before schema v4)"
        assert s.db["attempts"].get("a2")["lost"] is None
        # and the upgraded history works under the new rules: the in-flight task goes on
        lease = s.lease("b", 60)
        assert lease["task"]["id"] == "in-flight" and lease["attempt_no"] == 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert violations(conn) == {}
