"""The migration that declares the foreign keys Datasette links by (scores and reflections ->
attempts and tasks), on a version 3 database full of data; and profile snapshots kept on
change or interval, not one per attempt."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from store import SCHEMA_VERSION, Store, StoreError, schema
from store.schema import MIGRATIONS
from tests.storehelp import Clock, task

pytestmark = pytest.mark.unit

NOW = "2027-01-15T08:00:00.000000Z"


def v3_database(path) -> None:
    """A database as cogloop wrote it at schema version 3, with a scored attempt, a reflection,
    a profile, and a score whose attempt is gone (a row only a hand could make)."""
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:3]:
        migration(db)
    db.execute("PRAGMA user_version = 3")
    db.execute("INSERT INTO tasks (id, title, prompt, skill, difficulty, entry_point, hidden_tests, constraints, "
               "source, source_rank, priority, max_attempts, meta, status, attempts, created_at, updated_at) VALUES "
               "('t1', 'Old task', 'p', 'math', 2, 'f', 'assert 1', '{}', 'user', 0, 0, 3, '{}', 'passed', 1, ?, ?)",
               [NOW, NOW])
    db.execute("INSERT INTO attempts (id, task_id, builder, attempt_no, status, prompt, started_at) "
               "VALUES ('a1', 't1', 'builder-1', 1, 'passed', 'the prompt', ?)", [NOW])
    db.execute("INSERT INTO scores (id, attempt_id, task_id, skill, difficulty, total, passed, details, created_at) "
               "VALUES ('s1', 'a1', 't1', 'math', 2, 0.8, 0, '{}', ?)", [NOW])
    db.execute("INSERT INTO scores (id, attempt_id, task_id, skill, difficulty, total, passed, details, created_at) "
               "VALUES ('s-orphan', 'gone', 't1', 'math', 2, 0.1, 0, '{}', ?)", [NOW])
    db.execute("INSERT INTO reflections (id, attempt_id, task_id, skill, passed, lesson, created_at) "
               "VALUES ('r1', 'a1', 't1', 'math', 0, 'check the edges', ?)", [NOW])
    db.execute("INSERT INTO profile (id, created_at, profile) VALUES ('p1', ?, '{\"skills\": {}}')", [NOW])
    db.conn.commit()
    db.close()


def up_to_before_the_links(path) -> None:
    """Apply the migrations after v3 up to (not including) the one that adds the links."""
    db = sqlite_utils.Database(path)
    for version, migration in enumerate(MIGRATIONS[3:-1], start=4):
        migration(db)
        db.execute(f"PRAGMA user_version = {version}")
    db.conn.commit()
    db.close()


def dump(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
           for t in ("tasks", "attempts", "scores", "reflections", "profile", "lessons", "events")}
    conn.close()
    return out


def test_v3_database_gets_foreign_keys_and_keeps_every_row(tmp_path):
    path = tmp_path / "history.db"
    v3_database(path)
    up_to_before_the_links(path)  # the versions between change rows by their own rules
    before = dump(path)
    with Store.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        fks = {t: {(fk.column, fk.other_table) for fk in s.db[t].foreign_keys} for t in ("scores", "reflections")}
        assert fks["scores"] == fks["reflections"] == {("attempt_id", "attempts"), ("task_id", "tasks")}
        assert {i.name: i.unique for i in s.db["scores"].indexes}["idx_scores_attempt_id"] == 1  # indexes kept
        assert s.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # back on after the migration
        assert {"queue", "latest_profile", "skill_pass_rate", "skill_progress", "recent_attempts"} <= set(
            s.db.view_names())
        [recent] = s.history("recent")
        assert (recent["visible_status"], recent["hidden_passed"], recent["score"]) == ("passed", 0, 0.8)
        assert "status" not in recent and "passed" not in recent
        assert s.history("progress")[0]["attempts"] == 2  # the views over scores still work
    assert dump(path) == before  # every row as it was, the orphan score included


def test_after_the_migration_a_record_must_name_a_real_attempt(tmp_path):
    path = tmp_path / "history.db"
    v3_database(path)
    with Store.open(path) as s:
        with pytest.raises(StoreError, match="names an attempt or a task that is not in the history"):
            s.record_reflection({"attempt_id": "no-such-attempt", "task_id": "t1", "lesson": "x"})
        with pytest.raises(StoreError, match="unknown attempt"):  # a verdict checks its attempt first
            s.record_score({"attempt_id": "no-such-attempt", "task_id": "t1", "total": 0.5, "passed": False})
        assert s.one("SELECT count(*) AS n FROM scores")["n"] == 2  # nothing written
        assert s.one("SELECT count(*) AS n FROM reflections")["n"] == 1
        tid = s.add_task(task(1))
        lease = s.lease("builder-1", 60)
        assert s.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True})


def test_migration_is_idempotent_on_an_already_linked_table(tmp_path):
    db = sqlite_utils.Database(tmp_path / "x.db")
    for migration in MIGRATIONS:
        migration(db)
    schema._v6(db)  # the links migration again: no second foreign key, the view as before
    assert len(db["scores"].foreign_keys) == 2
    assert "visible_status" in db["recent_attempts"].columns_dict


def snapshots(s: Store) -> list[dict]:
    return s.rows("SELECT created_at, profile FROM profile ORDER BY created_at, rowid")


def test_profile_snapshots_on_change_or_interval(tmp_path):
    clock = Clock()
    with Store.open(tmp_path / "history.db", clock=clock) as s:
        for n in range(100):  # an observation every 10 s for 1000 s
            clock.t += 10
            s.snapshot_profile({"observations": n, "skills": {"math": {"mu": 1.0 + n / 100}}})
        rows = snapshots(s)
        assert len(rows) <= 1000 / 50 + 2  # about one a minute (60 s less one 10 s step), not 100
        assert json.loads(rows[-1]["profile"])["observations"] == 99  # the latest is always current
        assert s.latest_profile()["observations"] == 99
        times = [clock_s(r["created_at"]) for r in rows[:-1]]  # the history (the last row moves on)
        assert all(b - a >= 50 for a, b in zip(times, times[1:])), times  # about a minute apart
        count = len(rows)
        clock.t += 3600
        s.snapshot_profile({"observations": 99, "skills": {"math": {"mu": 1.99}}})  # unchanged
        assert len(snapshots(s)) == count and snapshots(s)[-1]["created_at"] == rows[-1]["created_at"]


def clock_s(ts: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
