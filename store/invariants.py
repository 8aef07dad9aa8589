"""The record's invariants as read-only queries, for `cogloop doctor` and the chaos test.

Each is a question whose right answer is "none": the offending ids, at most a few. They use
only columns every schema version has, so they run on any home, old or new (the counter check
needs v4, where `tasks.attempts` means scored attempts).

    with sqlite3.connect(path) as conn:
        broken = violations(conn)        # {name: [ids...]} for the invariants that fail
"""

from __future__ import annotations

import sqlite3

_SCORED = "SELECT task_id, count(*) AS n FROM scores GROUP BY task_id"

INVARIANTS: dict[str, tuple[str, str]] = {
    "scored_twice": ("an attempt with more than one score",
                     "SELECT attempt_id FROM scores GROUP BY attempt_id HAVING count(*) > 1"),
    "orphan_score": ("a score without its attempt or task",
                     "SELECT s.id FROM scores s LEFT JOIN attempts a ON a.id = s.attempt_id "
                     "LEFT JOIN tasks t ON t.id = s.task_id WHERE a.id IS NULL OR t.id IS NULL"),
    "over_max_attempts": ("a task with more scored attempts than its maximum",
                          f"SELECT t.id FROM tasks t JOIN ({_SCORED}) c ON c.task_id = t.id "
                          "WHERE c.n > t.max_attempts"),
    "pass_not_passed": ("a passing attempt whose task is not passed",
                        "SELECT DISTINCT s.task_id FROM scores s JOIN tasks t ON t.id = s.task_id "
                        "WHERE s.passed AND t.status != 'passed'"),
    "passed_without_pass": ("a passed task without a passing scored attempt",
                            "SELECT t.id FROM tasks t WHERE t.status = 'passed' AND NOT EXISTS "
                            "(SELECT 1 FROM scores s WHERE s.task_id = t.id AND s.passed)"),
    "failed_without_verdict": ("a task failed without a scored candidate",
                               "SELECT t.id FROM tasks t WHERE t.status = 'failed' AND NOT EXISTS "
                               "(SELECT 1 FROM scores s WHERE s.task_id = t.id)"),
    "lease_on_finished_task": ("a finished task still holding a lease",
                               "SELECT id FROM tasks WHERE status NOT IN ('queued', 'leased') AND lease_id IS NOT NULL"),
}
V4_INVARIANTS: dict[str, tuple[str, str]] = {
    "stale_attempt_count": ("a task whose attempt count is not its number of scored attempts",
                            f"SELECT t.id FROM tasks t LEFT JOIN ({_SCORED}) c ON c.task_id = t.id "
                            "WHERE t.attempts != coalesce(c.n, 0)"),
}
SHOWN = 5  # ids shown per broken invariant


def violations(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """{invariant name: up to SHOWN offending ids} for each invariant that does not hold."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    checks = {**INVARIANTS, **(V4_INVARIANTS if version >= 4 else {})}
    broken = {}
    for name, (_, sql) in checks.items():
        ids = [str(r[0]) for r in conn.execute(f"{sql} LIMIT {SHOWN}")]
        if ids:
            broken[name] = ids
    return broken


def describe(name: str) -> str:
    """The invariant's question in words."""
    return {**INVARIANTS, **V4_INVARIANTS}[name][0]
