"""The task queue: leases with expiry, idempotent completion, an attempts limit.

Order: user and HumanEval tasks before trainer and LLM tasks, then higher priority, then
older. A lease is taken inside BEGIN IMMEDIATE, so two processes never lease the same
task: the second waits for the first's write lock, then sees the task already leased.

Each lease creates its attempt row (status `running`) and counts one attempt, so a task
whose builder keeps dying still reaches `max_attempts` and is marked failed instead of
looping forever. A completion names its attempt: the second completion of the same
attempt changes nothing and returns the task's status (work may run twice, it is never
recorded twice).
"""

from __future__ import annotations

from typing import Any

from store._base import StoreBase, new_id
from store._tasks import task_from_row
from store.errors import StoreError
from store.taskspec import public_view

OUTCOMES = ("passed", "failed")
_CLEAR_LEASE = "lease_id = NULL, leased_by = NULL, lease_expires_at = NULL"
_ORDER = "source_rank, priority DESC, created_at, rowid"


class QueueMixin(StoreBase):
    def _expire_leases(self, which: str, params: list[Any]) -> int:
        """Inside a transaction: the leases `which` selects (an SQL condition on tasks) end now, as
        if expired: their running attempts say `expired` (and stay counted), their tasks go back
        to the queue, or fail at the attempts limit."""
        now = self.now()
        held = f"SELECT lease_id FROM tasks WHERE status = 'leased' AND {which}"
        self.db.execute(f"UPDATE attempts SET status = 'expired', finished_at = ? "
                        f"WHERE status = 'running' AND lease_id IN ({held})", [now, *params])
        cur = self.db.execute(
            "UPDATE tasks SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, "
            f"{_CLEAR_LEASE}, updated_at = ? WHERE status = 'leased' AND {which}", [now, *params])
        return cur.rowcount

    def _reclaim_expired(self) -> int:
        """Inside a transaction: expired leases go back to the queue (or fail at the limit)."""
        return self._expire_leases("lease_expires_at < ?", [self.now()])

    def sweep_expired(self) -> int:
        """Return expired leases to the queue; the number of tasks reclaimed."""
        with self.tx():
            return self._reclaim_expired()

    def _reclaim_builder(self, builder: str) -> int:
        """Inside a transaction: leases `builder` still holds expire now. Its new process is
        leasing afresh, so they belong to an incarnation that died (kill -9, OOM) mid-attempt.
        Counted like an expiry: the attempt stays burned, so a task that kills builders still
        reaches max_attempts."""
        return self._expire_leases("leased_by = ?", [builder])

    def lease(self, builder: str, ttl_s: float, reclaim: bool = False) -> dict[str, Any] | None:
        """The next task for `builder`, held for `ttl_s` seconds, or None when the queue is empty.

        `reclaim`: the builder's first lease since it (re)started; leases still held under its
        name are stale and go back to the queue first (without waiting out their TTL)."""
        if not builder or ttl_s <= 0:
            raise StoreError("lease: builder must be named and ttl_s positive")
        with self.tx():
            self._reclaim_expired()
            if reclaim and (n := self._reclaim_builder(builder)):
                self.db.execute("INSERT INTO events (id, ts, kind, actor, body) VALUES (?, ?, ?, ?, ?)",
                                [new_id(), self.now(), "lease.reclaimed", builder, f'{{"tasks": {n}}}'])
            row = self.one(f"SELECT * FROM tasks WHERE status = 'queued' ORDER BY {_ORDER} LIMIT 1")
            if row is None:
                return None
            lease_id, attempt_id, attempt_no = new_id(), new_id(), row["attempts"] + 1
            now, expires = self.now(), self.at(ttl_s)
            self.db.execute("UPDATE tasks SET status = 'leased', attempts = ?, lease_id = ?, leased_by = ?, "
                            "lease_expires_at = ?, updated_at = ? WHERE id = ?",
                            [attempt_no, lease_id, builder, expires, now, row["id"]])
            self.db.execute("INSERT INTO attempts (id, task_id, builder, lease_id, attempt_no, status, started_at) "
                            "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                            [attempt_id, row["id"], builder, lease_id, attempt_no, now])
        return {"lease_id": lease_id, "attempt_id": attempt_id, "attempt_no": attempt_no,
                "expires_at": expires, "task": public_view(task_from_row(row))}

    def renew(self, lease_id: str, ttl_s: float) -> bool:
        """Extend a lease still held; False when it was reclaimed, completed or cancelled."""
        with self.tx():
            cur = self.db.execute("UPDATE tasks SET lease_expires_at = ?, updated_at = ? "
                                  "WHERE lease_id = ? AND status = 'leased'",
                                  [self.at(ttl_s), self.now(), lease_id])
            return cur.rowcount == 1

    def release(self, lease_id: str) -> bool:
        """Give a task back unattempted (builder stopping or paused): the attempt is not counted."""
        with self.tx():
            cur = self.db.execute(f"UPDATE tasks SET status = 'queued', attempts = max(attempts - 1, 0), "
                                  f"{_CLEAR_LEASE}, updated_at = ? WHERE lease_id = ? AND status = 'leased'",
                                  [self.now(), lease_id])
            if cur.rowcount != 1:
                return False
            self.db.execute("UPDATE attempts SET status = 'released', finished_at = ? "
                            "WHERE lease_id = ? AND status = 'running'", [self.now(), lease_id])
            return True

    def complete(self, lease_id: str, attempt_id: str, outcome: str) -> str:
        """Record the outcome of an attempt; idempotent by `attempt_id`. Returns the task status.

        A pass marks the task passed even when its lease had expired meanwhile (the work is
        not lost); a failure requeues it, or fails it at `max_attempts`.
        """
        if outcome not in OUTCOMES:
            raise StoreError(f"complete: outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        with self.tx():
            attempt = self.one("SELECT * FROM attempts WHERE id = ?", [attempt_id])
            if attempt is None:
                raise StoreError(f"complete: unknown attempt {attempt_id!r}")
            task = self.one("SELECT status, attempts, max_attempts, lease_id FROM tasks WHERE id = ?",
                            [attempt["task_id"]])
            assert task is not None  # foreign key
            if attempt["completed_at"]:
                return task["status"]
            if attempt["lease_id"] != lease_id:
                raise StoreError(f"complete: attempt {attempt_id} does not belong to lease {lease_id}")
            holds = task["lease_id"] == lease_id
            status = self._next_status(task, outcome, holds)
            now = self.now()
            clear = f", {_CLEAR_LEASE}" if holds or status == "passed" else ""
            self.db.execute(f"UPDATE tasks SET status = ?, updated_at = ?{clear} WHERE id = ?",
                            [status, now, attempt["task_id"]])
            self.db.execute("UPDATE attempts SET outcome = ?, completed_at = ?, finished_at = coalesce(finished_at, ?), "
                            "status = CASE WHEN status IN ('running', 'expired') THEN ? ELSE status END "
                            "WHERE id = ?", [outcome, now, now, outcome, attempt_id])
            return status

    @staticmethod
    def _next_status(task: dict[str, Any], outcome: str, holds: bool) -> str:
        """Pure queue rule: the task's status after one completed attempt."""
        current = task["status"]
        if current in ("cancelled", "passed"):
            return current
        if outcome == "passed":
            return "passed"
        if current == "leased" and not holds:
            return "leased"  # someone else holds a newer lease; leave their attempt alone
        return "failed" if task["attempts"] >= task["max_attempts"] else "queued"

    def queue_stats(self, source: str | None = None) -> dict[str, int]:
        """Task counts by status (all of queued, leased, passed, failed, cancelled, total)."""
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        counts = {r["status"]: r["n"] for r in
                  self.rows(f"SELECT status, count(*) AS n FROM tasks {where} GROUP BY status", params)}
        stats = {s: counts.get(s, 0) for s in ("queued", "leased", "passed", "failed", "cancelled")}
        stats["total"] = sum(counts.values())
        return stats
