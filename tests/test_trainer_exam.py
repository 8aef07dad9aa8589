"""The Trainer and the exam: it never sets a task the exam guards, and with trainer.exam_every it
runs the exam during training (a real daemon, a scripted model), writing through Memory."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actors.exam.guard import ExamGuard, generator_of, prompt_key
from actors.exam.schedule import exam_due
from actors.exam.tasks import ExamSpec, select_exam
from actors.trainer.core import TrainerCore
from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, wait_for
from tests.fakellm import FakeLLM
from tests.learnllm import LearningModel


@pytest.mark.unit
def test_topup_never_sets_a_guarded_task():
    draft = select_exam(ExamSpec(tasks=40))
    guard = draft.guard()
    core = TrainerCore()
    tasks = []
    for _ in range(30):
        got = core.topup({"queued": 0}, builders=4, low_water_per_builder=5, guard=guard)
        tasks += got
        for t in got:
            core.observe({"skill": t["skill"], "difficulty": t["difficulty"], "passed": False, "correctness": 0.0})
    assert len(tasks) > 200 and all(guard.allows(t) for t in tasks)
    assert all(t["meta"]["seed"] >= 0 for t in tasks)  # never an exam seed
    unguarded = TrainerCore()
    plain = unguarded.topup({"queued": 0}, 4, 5)
    assert [t["prompt"] for t in plain] == [t["prompt"] for t in TrainerCore().topup({"queued": 0}, 4, 5, ExamGuard())]


@pytest.mark.unit
def test_a_slot_whose_every_redraw_is_guarded_is_left_empty_not_looped_on():
    class Everything(ExamGuard):
        def allows(self, task):
            return False
    core = TrainerCore()
    assert core.topup({"queued": 0}, 1, 3, Everything()) == [] and core.guarded == 3


@pytest.mark.unit
@pytest.mark.parametrize("attempts, every, last, running, due", [
    (5, 0, None, False, False), (4, 5, None, False, False), (5, 5, None, False, True), (9, 5, 5, False, False),
    (10, 5, 5, False, True), (10, 5, 5, True, False), (23, 5, 12, False, True), (12, 5, 12, False, False)])
def test_exam_schedule(attempts, every, last, running, due):
    assert exam_due(attempts, every, last, running) is due


@pytest.mark.process
@pytest.mark.timeout(240)
def test_exam_every_runs_the_exam_during_training_through_memory(tmp_path):
    home = tmp_path
    created = subprocess.run(cogloop_cmd("exam", "create", "--home", str(home), "--tasks", "4", "--difficulties", "1",
                                         "--skills", "lists,math"), capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model) as fake:
        d = Daemon(home, "memory:memory,scorer:scorer,trainer:trainer,builder-1:builder",
                   COGLOOP_LLM_URL=fake.url, COGLOOP_TRAINER_EXAM_EVERY="4", COGLOOP_TRAINER_EXAM_ARMS="plain,loop",
                   COGLOOP_BUILDER_REFLECT="false")
        d.start()
        try:
            def finished_run():
                with Store.open(home / "history.db", readonly=True) as s:
                    runs = [r for r in s.exam_runs() if r["status"] == "done"]
                    return runs[0] if runs else None
            run = wait_for(finished_run, timeout=180, what="an exam run during training")
        finally:
            d.stop()
    assert run["training_attempts"] >= 4 and run["model"] == "fake-model"
    with Store.open(home / "history.db", readonly=True) as s:
        assert len(s.exam_results(run["id"])) == 8  # 4 tasks x plain, loop
        exam = s.exam()
        keys = {t["prompt_key"] for t in s.exam_tasks(exam["id"])}
        trained = s.training_tasks_seen()
        assert trained and not {generator_of(t) for t in trained} & set(exam["reserved"])
        assert not {prompt_key(t["prompt"]) for t in trained} & keys
        assert s.one("SELECT count(*) AS n FROM events WHERE kind = 'trainer.exam_started'")["n"] >= 1
    assert "exam run" in (home / "logs" / "exam.log").read_text()  # the run's summary, in the exam log
