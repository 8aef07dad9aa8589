"""The task queue: leases with expiry, lost work, releases, an attempts limit from the record.

Order: user and HumanEval tasks before trainer and LLM tasks, then higher priority, then
older. A lease is taken inside BEGIN IMMEDIATE, so two processes never lease the same
task: the second waits for the first's write lock, then sees the task already leased.

Each lease creates its attempt row (status `running`). The verdict that ends an attempt is
its score (`record_score`, store/_records.py), which completes the task in the same
transaction; what counts toward which limit is store/_rules.py. A lease that ends without a
verdict (expired, reclaimed by its restarted builder, released with a reason) is lost work:
its attempt keeps the reason in `lost`, and the task goes back to the queue, or ends as
`error` at `max_lost`. Nothing here touches a scored attempt.
"""

from __future__ import annotations

from typing import Any

from store._base import StoreBase, new_id
from store._rules import after_loss, error_reason
from store._tasks import task_from_row
from store.errors import StoreError
from store.taskspec import public_view

OUTCOMES = ("passed", "failed")
_CLEAR_LEASE = "lease_id = NULL, leased_by = NULL, lease_expires_at = NULL"
_ORDER = "source_rank, priority DESC, created_at, rowid"
_UNSCORED = "NOT EXISTS (SELECT 1 FROM scores s WHERE s.attempt_id = a.id)"


class QueueMixin(StoreBase):
    def _counts(self, task_id: str) -> tuple[int, int]:
        """(scored, lost) attempts of a task, counted from the record."""
        row = self.db.execute(
            "SELECT (SELECT count(*) FROM scores WHERE task_id = ?), "
            f"(SELECT count(*) FROM attempts a WHERE a.task_id = ? AND a.lost IS NOT NULL AND {_UNSCORED})",
            [task_id, task_id]).fetchone()
        return int(row[0]), int(row[1])

    def _lose(self, task_id: str, lease_id: str, reason: str, *, status: str | None = None) -> str:
        """Inside a transaction: the task's current lease ends without a verdict. Its unscored
        attempt is lost (`reason`), the task goes back to the queue or ends as `error` at
        `max_lost`. `status` replaces the attempt's `running` status (`expired`, `released`).
        Returns the task's new status."""
        now = self.now()
        self.db.execute(f"UPDATE attempts SET lost = ?, finished_at = coalesce(finished_at, ?), "
                        f"status = CASE WHEN status = 'running' THEN ? ELSE status END "
                        f"WHERE lease_id = ? AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.attempt_id = attempts.id)",
                        [reason, now, status or "expired", lease_id])
        _, lost = self._counts(task_id)
        new = after_loss(lost, self.max_lost)
        why = error_reason(lost, reason) if new == "error" else None
        self.db.execute(f"UPDATE tasks SET status = ?, lost = ?, error = coalesce(?, error), {_CLEAR_LEASE}, "
                        "updated_at = ? WHERE id = ?", [new, lost, why, now, task_id])
        if why:
            self._event("task.error", "memory", {"task_id": task_id, "reason": why, "lost": lost})
        return new

    def _lose_leases(self, which: str, params: list[Any], reason: str) -> list[dict[str, Any]]:
        """Inside a transaction: the leases `which` selects (an SQL condition on tasks) end now,
        lost. Returns {task_id, attempt_id, builder, status} for each."""
        held = self.rows(f"SELECT t.id AS task_id, t.lease_id, t.leased_by AS builder, a.id AS attempt_id "
                         f"FROM tasks t LEFT JOIN attempts a ON a.lease_id = t.lease_id "
                         f"WHERE t.status = 'leased' AND {which}", params)
        for h in held:
            h["status"] = self._lose(h["task_id"], h.pop("lease_id"), reason)
        return held

    def _reclaim_expired(self) -> int:
        """Inside a transaction: expired leases end as lost work (event `lease.expired`)."""
        lost = self._lose_leases("t.lease_expires_at < ?", [self.now()], "lease expired")
        if lost:
            self._event("lease.expired", "memory", {"tasks": [h["task_id"] for h in lost],
                                                    "attempts": [h["attempt_id"] for h in lost],
                                                    "builders": sorted({h["builder"] or "" for h in lost})})
        return len(lost)

    def sweep_expired(self) -> int:
        """End expired leases (back to the queue, or `error` at max_lost); how many."""
        with self.tx():
            return self._reclaim_expired()

    def lease(self, builder: str, ttl_s: float, reclaim: bool = False) -> dict[str, Any] | None:
        """The next task for `builder`, held for `ttl_s` seconds, or None when the queue is empty.

        `reclaim`: the builder's first lease since it (re)started; leases still held under its
        name belong to an incarnation that died (kill -9, OOM) mid-attempt: they end as lost
        work first (event `lease.reclaimed`), without waiting out their TTL."""
        if not builder or ttl_s <= 0:
            raise StoreError("lease: builder must be named and ttl_s positive")
        with self.tx():
            self._reclaim_expired()
            if reclaim:
                lost = self._lose_leases("t.leased_by = ?", [builder], "builder restarted (lease reclaimed)")
                if lost:
                    self._event("lease.reclaimed", builder, {"tasks": [h["task_id"] for h in lost],
                                                             "attempts": [h["attempt_id"] for h in lost]})
            row = self.one(f"SELECT * FROM tasks WHERE status = 'queued' ORDER BY {_ORDER} LIMIT 1")
            if row is None:
                return None
            lease_id, attempt_id, now, expires = new_id(), new_id(), self.now(), self.at(ttl_s)
            attempt_no = 1 + self.db.execute("SELECT count(*) FROM attempts WHERE task_id = ?",
                                             [row["id"]]).fetchone()[0]
            self.db.execute("UPDATE tasks SET status = 'leased', lease_id = ?, leased_by = ?, "
                            "lease_expires_at = ?, updated_at = ? WHERE id = ?",
                            [lease_id, builder, expires, now, row["id"]])
            self.db.execute("INSERT INTO attempts (id, task_id, builder, lease_id, attempt_no, status, started_at) "
                            "VALUES (?, ?, ?, ?, ?, 'running', ?)",
                            [attempt_id, row["id"], builder, lease_id, attempt_no, now])
        return {"lease_id": lease_id, "attempt_id": attempt_id, "attempt_no": attempt_no,
                "expires_at": expires, "task": public_view(task_from_row(row))}

    def renew(self, lease_id: str, ttl_s: float) -> bool:
        """Extend a lease still held; False when it was reclaimed, judged or cancelled."""
        with self.tx():
            cur = self.db.execute("UPDATE tasks SET lease_expires_at = ?, updated_at = ? "
                                  "WHERE lease_id = ? AND status = 'leased'",
                                  [self.at(ttl_s), self.now(), lease_id])
            return cur.rowcount == 1

    def release(self, lease_id: str, reason: str | None = None) -> bool:
        """Give a held task back; False when the lease is no longer held (judged, reclaimed).

        Without a reason (a builder stopping or paused) the attempt counts toward nothing. With
        one (the attempt hit an error: the reason says which) it is lost work: it counts toward
        `max_lost` and is recorded as an `attempt.error` event. A scored attempt is never touched:
        its verdict already ended the lease."""
        with self.tx():
            held = self.one("SELECT t.id, a.id AS attempt_id, a.builder FROM tasks t "
                            "LEFT JOIN attempts a ON a.lease_id = t.lease_id "
                            "WHERE t.lease_id = ? AND t.status = 'leased'", [lease_id])
            if held is None or self.one("SELECT 1 FROM scores WHERE attempt_id = ?", [held["attempt_id"]]):
                return False
            if reason:
                status = self._lose(held["id"], lease_id, str(reason)[:1000], status="released")
                self._event("attempt.error", held["builder"] or "", {
                    "attempt_id": held["attempt_id"], "task_id": held["id"], "reason": str(reason)[:1000],
                    "task_status": status})
                return True
            now = self.now()
            self.db.execute(f"UPDATE tasks SET status = 'queued', {_CLEAR_LEASE}, updated_at = ? WHERE id = ?",
                            [now, held["id"]])
            self.db.execute("UPDATE attempts SET status = 'released', finished_at = ? "
                            "WHERE lease_id = ? AND status = 'running'", [now, lease_id])
            return True

    def complete(self, lease_id: str, attempt_id: str, outcome: str) -> str:
        """The task's status once a builder is done with an attempt; idempotent by `attempt_id`.

        A scored attempt was completed by its verdict (`record_score`): this changes nothing. An
        unscored one has no verdict, whatever `outcome` claims: the builder gives up on it, so
        it ends like `release` with a reason (lost work) if its lease is still held."""
        if outcome not in OUTCOMES:
            raise StoreError(f"complete: outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        attempt = self.one("SELECT task_id, lease_id FROM attempts WHERE id = ?", [attempt_id])
        if attempt is None:
            raise StoreError(f"complete: unknown attempt {attempt_id!r}")
        if attempt["lease_id"] != lease_id:
            raise StoreError(f"complete: attempt {attempt_id} does not belong to lease {lease_id}")
        if not self.one("SELECT 1 FROM scores WHERE attempt_id = ?", [attempt_id]):
            self.release(lease_id, f"completed as {outcome} without a recorded score")
        task = self.one("SELECT status FROM tasks WHERE id = ?", [attempt["task_id"]])
        assert task is not None  # foreign key
        return task["status"]

    def queue_stats(self, source: str | None = None, open_only: bool = False) -> dict[str, int]:
        """Task counts by status (all of queued, leased, passed, failed, error, cancelled, total).
        `open_only`: queued and leased only, which costs what the queue holds, not the history
        (the trainer asks after every score)."""
        terms, params = (["source = ?"], [source]) if source else ([], [])
        if open_only:
            terms.append("status IN ('queued', 'leased')")
        where = f"WHERE {' AND '.join(terms)}" if terms else ""
        counts = {r["status"]: r["n"] for r in
                  self.rows(f"SELECT status, count(*) AS n FROM tasks {where} GROUP BY status", params)}
        names = ("queued", "leased") if open_only else ("queued", "leased", "passed", "failed", "error", "cancelled")
        stats = {s: counts.get(s, 0) for s in names}
        if not open_only:
            stats["total"] = sum(counts.values())
        return stats
