"""The exam's own tables (store/schema.py `_exam`): exams, their fixed tasks, runs and results.

Kept apart from the training record: nothing here touches tasks, attempts, scores, lessons,
solutions or the profile, and the queue, archive and Trainer never read it (except
`exam_guard`, which tells the Trainer what not to train on). An exam is built in one or more
`create_exam` calls and sealed by the last; once sealed it never changes.
"""

from __future__ import annotations

from typing import Any

from store._base import StoreBase, dumps, loads
from store.errors import ExamFixed, StoreError

RUN_STATUSES = ("running", "done", "stopped", "failed")
RESULT_FIELDS = ("run_id", "exam_task_id", "arm", "arm_key", "passed", "correctness", "status", "category",
                 "visible_passed", "visible_total", "repair_rounds", "samples", "lessons", "example_task",
                 "example_relevance", "tokens_in", "tokens_out", "llm_latency_s", "wall_s", "endpoint", "model",
                 "cached_from", "code", "error")
RUN_FIELDS = ("id", "exam_id", "arms", "endpoint", "model", "settings", "training_attempts", "tasks", "pid", "note")


def _exam_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "spec": loads(row["spec"], {}), "reserved": loads(row["reserved"], []),
            "dropped": loads(row["dropped"], {})}


class ExamMixin(StoreBase):
    # --- the exam ------------------------------------------------------------------------
    def create_exam(self, exam: dict[str, Any], tasks: list[dict[str, Any]], *, seal: bool = True) -> str:
        """Add an exam's tasks (in batches if need be) and seal it with the last batch.

        `exam`: {"id", "spec", "reserved", "dropped"}; each task: {"id", "position", "generator",
        "part", "prompt_key", "task"}. Idempotent by task id; a sealed exam refuses changes."""
        if not isinstance(exam, dict) or not isinstance(exam.get("id"), str) or not exam["id"]:
            raise StoreError("exam: expected a map with an id")
        if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
            raise StoreError("exam: tasks must be a list of maps")
        for t in tasks:
            missing = [k for k in ("id", "position", "generator", "part", "prompt_key", "task") if t.get(k) is None]
            if missing or t["part"] not in ("seen", "heldout") or not isinstance(t["task"], dict):
                raise StoreError(f"exam task {t.get('id')!r}: missing or bad {', '.join(missing) or 'part/task'}")
        with self.tx():
            row = self.one("SELECT sealed_at FROM exams WHERE id = ?", [exam["id"]])
            if row is not None and row["sealed_at"]:
                raise ExamFixed(f"exam {exam['id']} is sealed: an exam is fixed once created")
            if row is None:
                self.insert("exams", {"id": exam["id"], "created_at": self.now(), "sealed_at": None,
                                      "spec": dumps(exam.get("spec") or {}), "reserved": dumps(exam.get("reserved") or []),
                                      "dropped": dumps(exam.get("dropped") or {})})
            for t in tasks:
                task = t["task"]
                self.insert("exam_tasks", {
                    "exam_id": exam["id"], "id": str(t["id"]), "position": int(t["position"]),
                    "generator": str(t["generator"]), "part": t["part"], "prompt_key": str(t["prompt_key"]),
                    "skill": str(task.get("skill") or ""), "difficulty": int(task.get("difficulty") or 1),
                    "task": dumps(task)}, ignore=True)
            if seal:
                self.db.execute("UPDATE exams SET sealed_at = ? WHERE id = ?", [self.now(), exam["id"]])
        return exam["id"]

    def exams(self) -> list[dict[str, Any]]:
        """Every exam with its task counts, oldest first."""
        rows = self.rows("SELECT e.*, (SELECT count(*) FROM exam_tasks t WHERE t.exam_id = e.id) AS tasks "
                         "FROM exams e ORDER BY e.created_at, e.rowid")
        return [_exam_row(r) for r in rows]

    def exam(self, exam_id: str | None = None) -> dict[str, Any] | None:
        """One sealed exam (by default the home's first), or None."""
        for e in self.exams():
            if e["sealed_at"] and (exam_id is None or e["id"] == exam_id):
                return e
        return None

    def exam_tasks(self, exam_id: str) -> list[dict[str, Any]]:
        """The exam's tasks in order: {"id", "generator", "part", "prompt_key", "task": every field}."""
        rows = self.rows("SELECT id, position, generator, part, prompt_key, task FROM exam_tasks "
                         "WHERE exam_id = ? ORDER BY position", [exam_id])
        return [{**r, "task": loads(r["task"], {})} for r in rows]

    def exam_guard(self) -> dict[str, list[str]]:
        """What training must not use: the sealed exams' reserved generators and prompt keys."""
        gens: set[str] = set()
        for e in self.exams():
            if e["sealed_at"]:
                gens.update(map(str, e["reserved"]))
        keys = [r["prompt_key"] for r in self.rows(
            "SELECT DISTINCT t.prompt_key FROM exam_tasks t JOIN exams e ON e.id = t.exam_id "
            "WHERE e.sealed_at IS NOT NULL")]
        return {"generators": sorted(gens), "prompts": keys}

    def training_tasks_seen(self) -> list[dict[str, Any]]:
        """Every task training has had (any source, any state): id, prompt, meta."""
        return [{**r, "meta": loads(r["meta"], {})} for r in self.rows("SELECT id, prompt, meta FROM tasks")]

    def training_attempts(self) -> int:
        """Scored training attempts so far: the learning curve's x axis."""
        row = self.one("SELECT count(*) AS n FROM scores")
        return int(row["n"]) if row else 0

    # --- runs and results ------------------------------------------------------------------
    def start_exam_run(self, run: dict[str, Any]) -> str:
        """A new run of a sealed exam; idempotent by id."""
        extra = sorted(set(run) - set(RUN_FIELDS)) if isinstance(run, dict) else []
        if not isinstance(run, dict) or extra or not run.get("id") or not run.get("exam_id"):
            raise StoreError(f"exam run: expected a map with id and exam_id{' (unknown: ' + ', '.join(extra) + ')' if extra else ''}")
        with self.tx():
            exam = self.one("SELECT sealed_at FROM exams WHERE id = ?", [run["exam_id"]])
            if exam is None or not exam["sealed_at"]:
                raise StoreError(f"exam run: no sealed exam {run['exam_id']!r}")
            row = {k: run.get(k) for k in RUN_FIELDS}
            row["arms"], row["settings"] = dumps(run.get("arms") or []), dumps(run.get("settings") or {})
            self.insert("exam_runs", {**row, "started_at": self.now(), "status": "running"}, ignore=True)
        return str(run["id"])

    def record_exam_result(self, result: dict[str, Any]) -> None:
        """One task under one arm in one run; a repeat of the same (run, task, arm) is ignored."""
        if not isinstance(result, dict):
            raise StoreError("exam result: expected a map")
        unknown = sorted(set(result) - set(RESULT_FIELDS))
        missing = [k for k in ("run_id", "exam_task_id", "arm", "passed") if result.get(k) is None]
        if unknown or missing:
            raise StoreError(f"exam result: {'unknown field(s) ' + ', '.join(unknown) if unknown else 'missing ' + ', '.join(missing)}")
        row = dict(result, passed=int(bool(result["passed"])))
        with self.tx():
            run = self.one("SELECT status FROM exam_runs WHERE id = ?", [row["run_id"]])
            if run is None:
                raise StoreError(f"exam result: no run {row['run_id']!r}")
            self.insert("exam_results", {**row, "created_at": self.now()}, ignore=True)

    def finish_exam_run(self, run_id: str, status: str, note: str = "") -> None:
        if status not in RUN_STATUSES[1:]:
            raise StoreError(f"exam run: status must be one of {', '.join(RUN_STATUSES[1:])}, got {status!r}")
        with self.tx():
            self.db.execute("UPDATE exam_runs SET status = ?, finished_at = ?, note = ? WHERE id = ? "
                            "AND status = 'running'", [status, self.now(), note[:500], run_id])

    def cached_exam_results(self, arm_key: str) -> dict[str, dict[str, Any]]:
        """Results recorded under `arm_key` (any run), one per exam task: the earliest."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.rows("SELECT * FROM exam_results WHERE arm_key = ? ORDER BY created_at, rowid", [arm_key]):
            out.setdefault(r["exam_task_id"], r)
        return out

    def exam_runs(self, exam_id: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE exam_id = ?", [exam_id]) if exam_id else ("", [])
        rows = self.rows(f"SELECT * FROM exam_runs {where} ORDER BY started_at, rowid", params)
        return [{**r, "arms": loads(r["arms"], []), "settings": loads(r["settings"], {})} for r in rows]

    def exam_results(self, run_id: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM exam_results WHERE run_id = ? ORDER BY rowid", [run_id])
