"""The exam's tables: an exam is fixed once sealed, runs and results are idempotent, bad input is
one line, and nothing of it touches the training record (or reaches the Trainer's guard unsealed)."""

from __future__ import annotations

import pytest

from actors.exam.tasks import ExamSpec, select_exam
from store import ExamFixed, Store, StoreError
from store.service import handle
from tests.storehelp import task

pytestmark = pytest.mark.unit

TRAINING_TABLES = ("tasks", "attempts", "scores", "reflections", "lessons", "solutions", "profile", "skills")


@pytest.fixture(scope="module")
def draft():
    return select_exam(ExamSpec(tasks=12))


def counts(s: Store) -> dict[str, int]:
    return {t: s.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in TRAINING_TABLES}


def make(s: Store, draft, exam_id: str = "exam-1", batches: int = 2) -> str:
    head = {"id": exam_id, "spec": draft.spec.to_dict(), "reserved": draft.reserved, "dropped": draft.dropped}
    size = -(-len(draft.tasks) // batches)
    chunks = [draft.tasks[i:i + size] for i in range(0, len(draft.tasks), size)]
    for i, chunk in enumerate(chunks):
        handle(s, "exam.create", {"exam": head, "tasks": chunk, "seal": i == len(chunks) - 1})
    return exam_id


def test_an_exam_is_built_in_batches_sealed_and_then_fixed(tmp_path, draft):
    with Store.open(tmp_path / "h.db") as s:
        head = {"id": "exam-1", "spec": {}, "reserved": draft.reserved, "dropped": {}}
        handle(s, "exam.create", {"exam": head, "tasks": draft.tasks[:5], "seal": False})
        assert s.exam() is None  # not sealed: not an exam yet, and not guarded yet
        assert s.exam_guard() == {"generators": [], "prompts": []}
        handle(s, "exam.create", {"exam": head, "tasks": draft.tasks[5:], "seal": True})
        exam = s.exam()
        assert exam["id"] == "exam-1" and exam["reserved"] == draft.reserved and exam["tasks"] == 12
        stored = s.exam_tasks("exam-1")
        assert [t["task"]["prompt"] for t in stored] == [t["task"]["prompt"] for t in draft.tasks]
        assert stored[0]["task"]["hidden_tests"]  # the whole private task, fixed with the exam
        with pytest.raises(ExamFixed, match="fixed once created"):
            handle(s, "exam.create", {"exam": head, "tasks": draft.tasks[:1]})
        g = s.exam_guard()
        assert g["generators"] == sorted(draft.reserved) and len(g["prompts"]) == 12


def test_runs_and_results_never_touch_the_training_record(tmp_path, draft):
    with Store.open(tmp_path / "h.db") as s:
        s.add_task(task(1))
        before = counts(s)
        exam_id = make(s, draft)
        run = {"id": "r1", "exam_id": exam_id, "arms": [{"name": "plain"}], "endpoint": "http://x/v1", "model": "m",
               "settings": {"temperature": 0}, "training_attempts": 0, "tasks": 12, "pid": 1}
        handle(s, "exam.run.start", {"run": run})
        handle(s, "exam.run.start", {"run": run})  # a retried message
        row = {"run_id": "r1", "exam_task_id": "exam-0001", "arm": "plain", "arm_key": "k", "passed": True,
               "tokens_in": 10, "tokens_out": 3, "code": "def f(): pass"}
        handle(s, "exam.result", {"result": row})
        handle(s, "exam.result", {"result": {**row, "passed": False}})  # a repeat is ignored
        handle(s, "exam.run.finish", {"run_id": "r1", "status": "done"})
        assert counts(s) == before
        assert [r["passed"] for r in s.exam_results("r1")] == [1]
        assert s.cached_exam_results("k")["exam-0001"]["run_id"] == "r1"
        runs = s.exam_runs(exam_id)
        assert len(runs) == 1 and runs[0]["status"] == "done" and runs[0]["settings"] == {"temperature": 0}


@pytest.mark.parametrize("op, body, words", [
    ("exam.create", {"exam": {}, "tasks": []}, "expected a map with an id"),
    ("exam.create", {"exam": {"id": "e"}, "tasks": [{"id": "x"}]}, "exam task 'x'"),
    ("exam.run.start", {"run": {"id": "r", "exam_id": "nope"}}, "no sealed exam 'nope'"),
    ("exam.run.start", {"run": {"id": "r", "exam_id": "e", "colour": 1}}, "unknown: colour"),
    ("exam.result", {"result": {"run_id": "zz", "exam_task_id": "t", "arm": "plain", "passed": 1}}, "no run 'zz'"),
    ("exam.result", {"result": {"run_id": "zz", "arm": "plain", "passed": 1}}, "missing exam_task_id"),
    ("exam.run.finish", {"run_id": "zz", "status": "great"}, "status must be one of"),
])
def test_bad_exam_messages_are_one_line_errors_and_change_nothing(tmp_path, op, body, words):
    with Store.open(tmp_path / "h.db") as s:
        with pytest.raises(StoreError) as err:
            handle(s, op, body)
        assert words in str(err.value) and "\n" not in str(err.value)
        assert s.exams() == [] and s.exam_runs() == []
