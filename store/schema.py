"""The versioned schema: an ordered list of migrations, applied on open.

The version lives in SQLite's `PRAGMA user_version`. Opening a database runs every
migration above its version, each in its own transaction with the version bump, so a crash
mid-upgrade leaves the previous version intact. A database newer than `SCHEMA_VERSION` is
refused: this code does not know what the newer columns mean.

Tables have plain names and JSON columns hold maps, so `sqlite-utils` and Datasette read
the history directly (docs/store.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import sqlite_utils

from store.errors import SchemaTooNew, StoreCorrupt


def _v1(db: sqlite_utils.Database) -> None:
    """The first schema: the tables of docs/architecture.md (Data) and the queue / latest_profile views."""
    db["tasks"].create({
        "id": str, "title": str, "prompt": str, "skill": str, "difficulty": int, "entry_point": str,
        "visible_tests": str, "hidden_tests": str, "edge_tests": str, "reference": str,
        "constraints": str, "source": str, "source_rank": int, "priority": int, "max_attempts": int,
        "meta": str, "status": str, "attempts": int, "lease_id": str, "leased_by": str,
        "lease_expires_at": str, "created_at": str, "updated_at": str,
    }, pk="id", not_null={"title", "prompt", "skill", "difficulty", "entry_point", "status", "source"},
        defaults={"status": "queued", "attempts": 0, "priority": 0})
    db["tasks"].create_index(["status", "source_rank", "priority", "created_at"], index_name="tasks_queue_order")
    db["tasks"].create_index(["lease_id"], index_name="tasks_lease", unique=False)
    db["attempts"].create({
        "id": str, "task_id": str, "builder": str, "lease_id": str, "attempt_no": int, "status": str,
        "prompt": str, "response": str, "code": str, "llm_settings": str, "error": str,
        "visible_passed": int, "visible_total": int, "repair_rounds": int, "tokens_in": int,
        "tokens_out": int, "llm_latency_s": float, "started_at": str, "finished_at": str,
        "outcome": str, "completed_at": str,
    }, pk="id", foreign_keys=[("task_id", "tasks", "id")], not_null={"task_id"})
    db["attempts"].create_index(["task_id"])
    db["scores"].create({
        "id": str, "attempt_id": str, "task_id": str, "skill": str, "difficulty": int,
        "correctness": float, "robustness": float, "efficiency": float, "elegance": float,
        "total": float, "passed": int, "details": str, "created_at": str,
    }, pk="id")
    db["scores"].create_index(["attempt_id"], unique=True)
    db["scores"].create_index(["skill", "created_at"])
    db["reflections"].create({
        "id": str, "attempt_id": str, "task_id": str, "skill": str, "passed": int, "strengths": str,
        "weaknesses": str, "lesson": str, "details": str, "created_at": str,
    }, pk="id")
    db["lessons"].create({"id": int, "skill": str, "text": str, "source": str, "created_at": str}, pk="id")
    db["lessons"].create_index(["skill", "text"], unique=True)
    db["skills"].create({"name": str, "description": str, "created_at": str}, pk="name")
    db["profile"].create({"id": str, "created_at": str, "profile": str}, pk="id")
    db["events"].create({"id": str, "ts": str, "kind": str, "actor": str, "body": str}, pk="id")
    db["events"].create_index(["ts"])
    db.create_view("queue", """
        SELECT id, title, skill, difficulty, source, priority, status, attempts, max_attempts,
               leased_by, lease_expires_at, created_at
        FROM tasks WHERE status IN ('queued', 'leased')
        ORDER BY status = 'leased', source_rank, priority DESC, created_at, rowid""")
    db.create_view("latest_profile", """
        SELECT id, created_at, profile FROM profile ORDER BY created_at DESC, rowid DESC LIMIT 1""")


def _v2(db: sqlite_utils.Database) -> None:
    """Lesson ranking, the solution archive, and the progress views."""
    db["lessons"].add_column("uses", int, not_null_default=0)
    db["lessons"].add_column("passes", int, not_null_default=0)
    db["solutions"].create({
        "task_id": str, "skill": str, "difficulty": int, "path": str, "code": str, "created_at": str,
    }, pk="task_id")
    db["solutions"].create_index(["skill", "difficulty"])
    db.create_view("skill_pass_rate", """
        SELECT substr(created_at, 1, 10) AS day, skill, count(*) AS attempts, sum(passed) AS passed,
               round(1.0 * sum(passed) / count(*), 3) AS pass_rate, round(avg(total), 3) AS avg_total,
               round(avg(difficulty), 2) AS avg_difficulty
        FROM scores GROUP BY day, skill ORDER BY day, skill""")
    db.create_view("skill_progress", """
        SELECT skill, count(*) AS attempts, sum(passed) AS passed,
               round(1.0 * sum(passed) / count(*), 3) AS pass_rate, round(avg(total), 3) AS avg_total,
               max(CASE WHEN passed THEN difficulty END) AS max_difficulty_passed,
               max(created_at) AS last_scored_at
        FROM scores GROUP BY skill ORDER BY skill""")
    db.create_view("recent_attempts", """
        SELECT a.id, a.task_id, t.title, t.skill, t.difficulty, a.builder, a.attempt_no, a.status,
               s.total AS score, s.passed, a.repair_rounds, a.llm_latency_s, a.started_at, a.finished_at
        FROM attempts a JOIN tasks t ON t.id = a.task_id LEFT JOIN scores s ON s.attempt_id = a.id
        ORDER BY a.started_at DESC, a.rowid DESC""")


def _v3(db: sqlite_utils.Database) -> None:
    """Indexes for the hot path, so its cost does not grow with the history: every lease and
    every sweep finds the expired attempts by lease id (it scanned all attempts), the queue head
    comes off one index without a sort (priority DESC is in the index), the trainer's queue
    stats by source count an index, and the latest profile is the last index entry."""
    db.execute("CREATE INDEX attempts_lease ON attempts (lease_id)")
    db.execute("DROP INDEX tasks_queue_order")
    db.execute("CREATE INDEX tasks_queue_order ON tasks (status, source_rank, priority DESC, created_at)")
    db.execute("CREATE INDEX tasks_source_status ON tasks (source, status)")
    db.execute("CREATE INDEX profile_created ON profile (created_at)")


def _v4(db: sqlite_utils.Database) -> None:
    """The verdict is the record (issue 10): a score completes its task in the same transaction,
    only scored attempts count toward `max_attempts`, and work lost without a verdict counts
    toward its own cap (`store.max_lost`), ending the task as `error`.

    New columns: `attempts.lost` (why the attempt ended without a verdict; NULL otherwise),
    `tasks.lost` (how many did), `tasks.error` (why a task ended as `error`); `tasks.attempts`
    now counts scored attempts. Index `scores(task_id)`: a verdict counts its task's verdicts.

    Rows written before are brought under the same rules, from the record: an unscored expired
    attempt was lost; the counters are recounted; a task with a passing score is passed (v3 could
    fail it when its builder died before `task.complete`); a task failed without any scored
    attempt ended for lost work, so `error`; an unfinished task already at its maximum of scored
    attempts (v3's `release` could over-count) is failed."""
    db.execute("ALTER TABLE attempts ADD COLUMN lost TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN lost INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE tasks ADD COLUMN error TEXT")
    db.execute("CREATE INDEX scores_task ON scores (task_id)")
    scored = "EXISTS (SELECT 1 FROM scores s WHERE s.attempt_id = attempts.id)"
    db.execute(f"UPDATE attempts SET lost = 'lease expired (recorded before schema v4)' "
               f"WHERE status = 'expired' AND NOT {scored}")
    db.execute("UPDATE attempts SET outcome = (SELECT CASE WHEN s.passed THEN 'passed' ELSE 'failed' END "
               "FROM scores s WHERE s.attempt_id = attempts.id), completed_at = coalesce(completed_at, "
               f"(SELECT s.created_at FROM scores s WHERE s.attempt_id = attempts.id)) WHERE {scored}")
    db.execute("UPDATE tasks SET attempts = (SELECT count(*) FROM scores s WHERE s.task_id = tasks.id), "
               "lost = (SELECT count(*) FROM attempts a WHERE a.task_id = tasks.id AND a.lost IS NOT NULL)")
    clear = "lease_id = NULL, leased_by = NULL, lease_expires_at = NULL"
    db.execute(f"UPDATE tasks SET status = 'passed', {clear} WHERE status != 'passed' AND EXISTS "
               "(SELECT 1 FROM scores s WHERE s.task_id = tasks.id AND s.passed)")
    db.execute("UPDATE tasks SET status = 'error', error = 'failed without a scored attempt (before schema v4)' "
               "WHERE status = 'failed' AND attempts = 0")
    db.execute(f"UPDATE tasks SET status = 'failed', {clear} "
               "WHERE status IN ('queued', 'leased') AND attempts >= max_attempts")


def _v5(db: sqlite_utils.Database) -> None:
    """Tasks get `context`: trusted source the judge runs before the tests (the helpers they
    use, e.g. HumanEval/32's `poly`), so a candidate's own copy of a helper never decides a
    verdict. Older HumanEval rows keep "" and the Scorer derives it from their prompt."""
    db["tasks"].add_column("context", str, not_null_default="")


# Views over the tables a rebuild replaces: dropped first (a rename checks every view), then
# made again from their own SQL, so views another migration changed keep its version.
RECENT_ATTEMPTS = """
    SELECT a.id, a.task_id, t.title, t.skill, t.difficulty, a.builder, a.attempt_no,
           a.status AS visible_status, s.total AS score, s.passed AS hidden_passed, a.repair_rounds,
           a.llm_latency_s, a.started_at, a.finished_at
    FROM attempts a JOIN tasks t ON t.id = a.task_id LEFT JOIN scores s ON s.attempt_id = a.id
    ORDER BY a.started_at DESC, a.rowid DESC"""


def _v6(db: sqlite_utils.Database) -> None:
    """Foreign keys for what points at attempts and tasks, so Datasette (and sqlite-utils) link
    a score or a reflection to its attempt and task; SQLite adds them only by rebuilding the
    table (sqlite-utils' transform keeps columns, indexes and rows). `recent_attempts` says
    which verdict is which: `visible_status` (the builder's run on the visible tests) and
    `hidden_passed` (the scorer's, on the hidden tests). Rows that point at nothing (none come
    from cogloop itself) are kept as they are: _migrate runs with foreign keys off."""
    links = {"scores": [("attempt_id", "attempts", "id"), ("task_id", "tasks", "id")],
             "reflections": [("attempt_id", "attempts", "id"), ("task_id", "tasks", "id")]}
    views = {name: sql for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name").fetchall()}
    for name in views:
        db.execute(f"DROP VIEW [{name}]")
    for table, fks in links.items():
        have = {(fk.column, fk.other_table) for fk in db[table].foreign_keys}
        missing = [fk for fk in fks if fk[:2] not in have]
        if missing:
            db[table].transform(add_foreign_keys=missing)
    for name, sql in views.items():
        if name != "recent_attempts":
            db.execute(sql)
    db.create_view("recent_attempts", RECENT_ATTEMPTS)


def _v7(db: sqlite_utils.Database) -> None:
    """The held-out exam (docs/exam.md), apart from the training record: an exam's fixed tasks
    (with their generator and seen/held-out part), its runs (one endpoint and model each) and
    per task and arm results. Nothing here is read by the queue, the archive, the lessons or the
    Trainer."""
    db["exams"].create({"id": str, "created_at": str, "sealed_at": str, "spec": str, "reserved": str,
                        "dropped": str}, pk="id")
    db["exam_tasks"].create({"exam_id": str, "id": str, "position": int, "generator": str, "part": str,
                             "prompt_key": str, "skill": str, "difficulty": int, "task": str},
                            pk=("exam_id", "id"), foreign_keys=[("exam_id", "exams", "id")])
    db["exam_tasks"].create_index(["prompt_key"])
    db["exam_runs"].create({"id": str, "exam_id": str, "started_at": str, "finished_at": str, "status": str,
                            "arms": str, "endpoint": str, "model": str, "settings": str,
                            "training_attempts": int, "tasks": int, "pid": int, "note": str},
                           pk="id", foreign_keys=[("exam_id", "exams", "id")])
    db["exam_runs"].create_index(["exam_id", "started_at"])
    db["exam_results"].create({
        "run_id": str, "exam_task_id": str, "arm": str, "arm_key": str, "passed": int, "correctness": float,
        "status": str, "category": str, "visible_passed": int, "visible_total": int, "repair_rounds": int,
        "samples": int, "lessons": int, "example_task": str, "example_relevance": float, "tokens_in": int,
        "tokens_out": int, "llm_latency_s": float, "wall_s": float, "endpoint": str, "model": str,
        "cached_from": str, "code": str, "error": str, "created_at": str,
    }, pk=("run_id", "exam_task_id", "arm"), foreign_keys=[("run_id", "exam_runs", "id")])
    db["exam_results"].create_index(["arm_key", "exam_task_id"])


def _v8(db: sqlite_utils.Database) -> None:
    """Indexes so the builder's per-task reads cost the same at any history size (issue 17):
    its nearest archived example (skill, then difficulty, newest first) and its top lessons
    (skill, then the rank `lesson.top` orders by, an expression index) come off an index in
    order instead of a scan and sort of every row of the skill (137 ms and 36 ms per read at
    100 000 rows of one skill before, store/_archive.py and store/_records.py). The first
    replaces v2's (skill, difficulty) index."""
    db.execute("DROP INDEX IF EXISTS idx_solutions_skill_difficulty")
    db.execute("CREATE INDEX IF NOT EXISTS solutions_near ON solutions (skill, difficulty, created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS lessons_rank ON lessons (skill, ((passes + 1.0) / (uses + 2.0)), created_at, id)")


def _v9(db: sqlite_utils.Database) -> None:
    """Lessons that are earned (issue 13; store/lessons.py): `lessons.state` (trial, proven,
    retired), `lessons.pattern` (what a mined lesson was mined from: one lesson per skill and
    pattern), `lessons.evidence` (the failed attempts that show it), the comparison's counts
    (`shown`, `shown_passes`, `held`, `held_passes`: kept in the exposure's transaction, so a
    verdict reads one row per lesson whatever the history's size), and `lesson_exposures`:
    per judged attempt, each lesson that was eligible for its prompt and whether it was shown,
    with the verdict, so a lesson's effect is a randomised comparison. Lessons written before
    start in trial with no exposures: their old `uses`/`passes` were not a comparison."""
    db["lessons"].add_column("state", str, not_null_default="trial")
    db["lessons"].add_column("pattern", str, not_null_default="")
    db["lessons"].add_column("evidence", str, not_null_default="")
    for column in ("shown", "shown_passes", "held", "held_passes"):  # the exposures' counts, kept with them
        db["lessons"].add_column(column, int, not_null_default=0)
    db["lesson_exposures"].create({"attempt_id": str, "lesson_id": int, "task_id": str, "shown": int,
                                   "passed": int, "created_at": str}, pk=("attempt_id", "lesson_id"),
                                  foreign_keys=[("attempt_id", "attempts", "id"), ("lesson_id", "lessons", "id")],
                                  not_null={"shown", "passed"})
    db.execute("CREATE INDEX lesson_exposures_lesson ON lesson_exposures (lesson_id, shown, passed)")
    db.execute("CREATE INDEX lessons_pattern ON lessons (skill, pattern)")
    db.create_view("lesson_effects", LESSON_EFFECTS)


# `cogloop history lessons`: each lesson's state and the randomised comparison so far (the
# interval is store/lessons.py's `effect`, in export's lessons.json).
LESSON_EFFECTS = """
    SELECT id, skill, state, source, shown, round(1.0 * shown_passes / nullif(shown, 0), 3) AS shown_pass_rate,
           held, round(1.0 * held_passes / nullif(held, 0), 3) AS held_pass_rate,
           round(1.0 * shown_passes / nullif(shown, 0) - 1.0 * held_passes / nullif(held, 0), 3) AS effect, text
    FROM lessons ORDER BY skill, state = 'retired', id"""


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
SCHEMA_VERSION = len(MIGRATIONS)


def version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def check_version(db: sqlite_utils.Database, path: Path) -> int:
    """The database's schema version; refuses newer ones and foreign databases."""
    v = version(db)
    if v > SCHEMA_VERSION:
        raise SchemaTooNew(f"{path}: schema version {v} is newer than this cogloop understands "
                           f"({SCHEMA_VERSION}); upgrade cogloop to open it")
    if v == 0 and db.table_names():
        raise StoreCorrupt(f"{path}: a SQLite database, but not a cogloop history "
                           f"(tables: {', '.join(db.table_names()[:5])})")
    return v


def pending(db: sqlite_utils.Database, path: Path) -> list[tuple[int, Callable[[sqlite_utils.Database], None]]]:
    """(target version, migration) pairs still to apply."""
    v = check_version(db, path)
    return [(n, m) for n, m in enumerate(MIGRATIONS, start=1) if n > v]
