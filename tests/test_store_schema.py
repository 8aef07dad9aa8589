"""Schema creation, WAL, migration of an older database, refusal of a newer or foreign one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import SCHEMA_VERSION, SchemaTooNew, Store, StoreCorrupt, StoreError, StoreMissing
from tests.storehelp import task

pytestmark = pytest.mark.unit

V1_SQL = (Path(__file__).parent / "data" / "history_v1.sql").read_text()
TABLES = {"tasks", "attempts", "scores", "reflections", "lessons", "skills", "profile", "events", "solutions"}
HOT_PATH_INDEXES = {"attempts_lease", "tasks_queue_order", "tasks_source_status", "profile_created"}
VIEWS = {"queue", "latest_profile", "skill_pass_rate", "skill_progress", "recent_attempts"}


def test_fresh_database_has_plain_tables_views_and_wal(tmp_path):
    with Store.open(tmp_path / "h" / "history.db") as s:
        assert s.schema_version == SCHEMA_VERSION
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
        assert s.top_lessons("strings") == [
            {"id": 1, "skill": "strings", "text": "strip input", "source": "x", "uses": 0, "passes": 0,
             "created_at": "now"}]
        assert {"solutions"} <= set(s.db.table_names()) and "skill_pass_rate" in s.db.view_names()
        assert HOT_PATH_INDEXES <= {i.name for t in ("tasks", "attempts", "profile") for i in s.db[t].indexes}
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
    """v3: reclaiming expired leases (every lease, every sweep) must not scan all attempts."""
    with Store.open(tmp_path / "history.db") as s:
        plan = " ".join(str(r) for r in s.db.execute(
            "EXPLAIN QUERY PLAN UPDATE attempts SET status = 'expired' WHERE status = 'running' "
            "AND lease_id IN (SELECT lease_id FROM tasks WHERE status = 'leased' AND lease_expires_at < '')"))
        assert "attempts_lease" in plan and "SCAN attempts" not in plan
        head = " ".join(str(r) for r in s.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE status = 'queued' "
            "ORDER BY source_rank, priority DESC, created_at, rowid LIMIT 1"))
        assert "TEMP B-TREE" not in head  # the queue head comes straight off the index
