"""Tasks: add (validated, idempotent by id), read (public or private), list, cancel."""

from __future__ import annotations

from typing import Any, Iterable

from store._base import StoreBase, dumps, loads
from store._rules import TERMINAL
from store.errors import AmbiguousId, TaskInvalid, TaskNotFound, TaskStateError
from store.taskspec import FIELDS, USER_SOURCES, normalize_task, public_view, validate_task

STATE_FIELDS = ("status", "attempts", "max_attempts", "lost", "error", "priority", "leased_by",
                "lease_expires_at", "created_at", "updated_at")
SUMMARY = "id, title, skill, difficulty, source, priority, status, attempts, max_attempts, created_at"
STATUSES = ("queued", "leased") + TERMINAL


def source_rank(source: str) -> int:
    """Queue class: user and HumanEval tasks are leased before trainer and LLM tasks."""
    return 0 if source in USER_SOURCES else 1


def task_from_row(row: dict[str, Any]) -> dict[str, Any]:
    task = dict(row)
    task["constraints"] = loads(row.get("constraints"), {})
    task["meta"] = loads(row.get("meta"), {})
    task.pop("source_rank", None)
    task.pop("lease_id", None)
    return task


class TasksMixin(StoreBase):
    def _prepare(self, data: Any) -> dict[str, Any]:
        problems = validate_task(data)
        if problems:
            title = data.get("title") if isinstance(data, dict) else None
            where = f"task {title!r}" if isinstance(title, str) and title.strip() else "task"
            raise TaskInvalid(problems, where)
        return normalize_task(data, max_attempts=self.max_attempts)

    def _insert_task(self, task: dict[str, Any]) -> str:
        """Insert inside the caller's transaction: "new", "present" (the same task is there) or
        "updated" (a task with this id that no builder has leased yet takes the new content).

        A task with this id and other content that was already leased is refused: its attempts
        and scores belong to what it was."""
        existing = self.one("SELECT * FROM tasks WHERE id = ?", [task["id"]])
        now = self.now()
        row = {**task, "constraints": dumps(task["constraints"]), "meta": dumps(task["meta"]),
               "source_rank": source_rank(task["source"]), "updated_at": now}
        if existing is not None:
            stored = {k: v for k, v in task_from_row(existing).items() if k in FIELDS}
            if stored == task:
                return "present"
            leases = self.one("SELECT count(*) AS n FROM attempts WHERE task_id = ?", [task["id"]])["n"]
            if existing["status"] != "queued" or leases:
                raise TaskInvalid([f"id: a different task with id {task['id']!r} already exists and is "
                                   f"{existing['status']} after {leases} lease(s); it is kept "
                                   "as it is (give the new one another id)"], f"task {task['id']}")
            self.insert("tasks", row, upsert_pk="id")
            outcome = "updated"
        else:
            self.insert("tasks", {**row, "status": "queued", "attempts": 0, "created_at": now})
            outcome = "new"
        self.insert("skills", {"name": task["skill"], "description": "", "created_at": now}, ignore=True)
        return outcome

    def add_task(self, task: dict[str, Any]) -> str:
        """Validate and enqueue one task; re-adding the identical task is a no-op."""
        normal = self._prepare(task)
        with self.tx():
            self._insert_task(normal)
        return normal["id"]

    def add_tasks(self, tasks: Iterable[Any]) -> tuple[list[str], list[str]]:
        """Enqueue every valid task in one transaction; invalid ones come back as error lines.

        Returns (ids of valid tasks, including ones already present, errors)."""
        added = self.add_tasks_counted(tasks)
        return added["ids"], added["errors"]

    def add_tasks_counted(self, tasks: Iterable[Any]) -> dict[str, list[str]]:
        """`add_tasks`, saying what happened to each: {"ids", "new", "present", "updated",
        "errors"} (ids: every accepted task, in order; the next three split them)."""
        out: dict[str, list[str]] = {"ids": [], "new": [], "present": [], "updated": [], "errors": []}
        ready = []
        for n, data in enumerate(tasks, start=1):
            try:
                ready.append(self._prepare(data))
            except TaskInvalid as exc:
                out["errors"].append(f"#{n}: {exc}")
        with self.tx():
            for task in ready:
                try:
                    out[self._insert_task(task)].append(task["id"])
                    out["ids"].append(task["id"])
                except TaskInvalid as exc:
                    out["errors"].append(str(exc))
        return out

    def get_task(self, task_id: str, *, private: bool = False) -> dict[str, Any] | None:
        """The task with its state; only `private=True` includes hidden/edge tests and reference."""
        row = self.one("SELECT * FROM tasks WHERE id = ?", [task_id])
        if row is None:
            return None
        task = task_from_row(row)
        if private:
            return task
        return {**public_view(task), **{k: task[k] for k in STATE_FIELDS}}

    def resolve_task_id(self, prefix: str) -> str:
        """The full id of the one task whose id starts with `prefix` (lists show ids shortened).

        An exact id wins; TaskNotFound when none matches, AmbiguousId (listing them) when several do."""
        prefix = prefix.strip()
        if not prefix:
            raise TaskNotFound("no task with an empty id")
        # A range on the primary key, not LIKE: '%' and '_' in what was typed stay literal.
        rows = self.rows("SELECT id, status, title FROM tasks WHERE id = ? OR (id >= ? AND id < ?) "
                         "ORDER BY id = ? DESC, id LIMIT 11", [prefix, prefix, prefix + "\U0010ffff", prefix])
        if not rows:
            raise TaskNotFound(f"no task with id {prefix!r}")
        if rows[0]["id"] == prefix or len(rows) == 1:
            return rows[0]["id"]
        shown = "; ".join(f"{r['id']} ({r['status']}, {r['title']})" for r in rows[:10])
        more = ", and more" if len(rows) > 10 else ""
        raise AmbiguousId(f"id {prefix!r} matches {len(rows) if len(rows) <= 10 else 'over 10'} tasks: "
                          f"{shown}{more}; give more of the id")

    def list_tasks(self, status: str | None = None, source: str | None = None,
                   limit: int = 100) -> list[dict[str, Any]]:
        """Task summaries (no test or prompt text), newest first."""
        where, params = [], []
        for column, value in (("status", status), ("source", source)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(int(limit))
        return self.rows(f"SELECT {SUMMARY} FROM tasks {clause} ORDER BY created_at DESC, rowid DESC LIMIT ?",
                         params)

    def cancel_task(self, task_id: str) -> str:
        """Cancel a queued or leased task (a verdict that arrives later is not recorded)."""
        with self.tx():
            row = self.one("SELECT status FROM tasks WHERE id = ?", [task_id])
            if row is None:
                raise TaskNotFound(f"no task with id {task_id!r}")
            if row["status"] in ("passed", "failed", "error"):
                raise TaskStateError(f"task {task_id} is already {row['status']}; nothing to cancel")
            self.db.execute("UPDATE tasks SET status = 'cancelled', lease_id = NULL, leased_by = NULL, "
                            "lease_expires_at = NULL, updated_at = ? WHERE id = ?", [self.now(), task_id])
        return "cancelled"
