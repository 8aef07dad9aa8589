"""The builder cycle with the real parts it talks to, minus processes: a real Store behind the
memory op table (store.service.handle), the real sandbox, and a scripted LLM server. The scorer
stand-in grades on the hidden tests in the sandbox and records the score as the Scorer does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.builder.worker import BuilderWorker
from actors.llm import LLMClient
from ops.ground.config import Config
from sandbox import Limits, run_tests
from store import Store
from store.service import handle
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.process

TASK = {"title": "Absolute sum", "prompt": "Return the sum of the absolute values of xs.", "skill": "lists",
        "difficulty": 2, "entry_point": "abs_sum", "visible_tests": "assert candidate([1, 2]) == 3",
        "hidden_tests": "assert candidate([-1, 2]) == 3\nassert candidate([]) == 0", "source": "user"}
NAIVE = "```python\ndef abs_sum(xs):\n    return sum(xs)\n```"
GOOD = "```python\ndef abs_sum(xs):\n    return sum(abs(x) for x in xs)\n```"


def sandbox_run(code: str, tests: str, entry_point: str) -> dict:
    return run_tests(code, tests, entry_point=entry_point, limits=Limits(cpu_s=2, wall_s=5)).to_dict()


def make_ask(store: Store, archive: Path):
    def ask(to: str, op: str, body: dict, timeout: float = 30.0) -> dict:
        if to == "scorer":
            task = store.get_task(body["task_id"], private=True)
            rep = sandbox_run(body["code"], task["hidden_tests"], task["entry_point"]) if body["code"] else {}
            passed = bool(rep.get("all_passed"))
            score = {"attempt_id": body["attempt_id"], "task_id": task["id"], "skill": task["skill"],
                     "difficulty": task["difficulty"], "total": 1.0 if passed else 0.0, "passed": passed}
            handle(store, "score.record", {"score": score}, sender="scorer", archive_dir=archive)
            return {"score": score}
        return handle(store, op, body, sender="builder-1", archive_dir=archive)
    return ask


def test_retry_learns_from_the_reflection_through_store_and_sandbox(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "history.db")
    first = store.add_task(dict(TASK))
    cfg = Config()
    cfg.llm.url, cfg.llm.model, cfg.builder.repair_rounds = "", "fake-model", 1
    cfg.builder.lessons = 3  # off by default: on, since lessons are what is tested
    cfg.builder.lesson_share = 1.0  # every trial lesson shown: the held-back side is the next test's
    lesson = "Negative numbers need abs() before summing."
    # attempt 1: the naive answer passes the visible tests, not the hidden ones; the model's lesson is
    # stored; the task goes back to the queue, and attempt 2 has that lesson in its prompt and passes.
    with FakeLLM([NAIVE, json.dumps({"strengths": "short", "weaknesses": "ignored negatives", "lesson": lesson}),
                  GOOD, '{"lesson": "Use abs() on each element."}']) as fake:
        cfg.llm.url = fake.url
        w = BuilderWorker("builder-1", cfg, make_ask(store, tmp_path / "code_archive"), LLMClient(cfg.llm), sandbox_run)
        assert w.step() == 0.0 and w.step() == 0.0
        second_prompt = fake.chat_requests[2]["messages"][1]["content"]
    assert lesson in second_prompt
    attempts = store.rows("SELECT * FROM attempts ORDER BY started_at")
    assert [a["status"] for a in attempts] == ["passed", "passed"]  # visible tests, both
    scores = store.rows("SELECT passed FROM scores s JOIN attempts a ON a.id = s.attempt_id ORDER BY a.started_at")
    assert [s["passed"] for s in scores] == [0, 1]
    assert store.get_task(first)["status"] == "passed" and {a["task_id"] for a in attempts} == {first}
    assert json.loads(attempts[1]["llm_settings"])["lesson_ids"]
    refl = store.rows("SELECT * FROM reflections")
    assert len(refl) == 2 and {r["lesson"] for r in refl} == {lesson, "Use abs() on each element."}
    top = store.top_lessons("lists", 5)
    used = next(t for t in top if t["text"] == lesson)
    assert used["uses"] == 1 and used["passes"] == 1  # it was in the prompt of the passing attempt
    assert store.rows("SELECT lesson_id, shown, passed FROM lesson_exposures") == [
        {"lesson_id": used["id"], "shown": 1, "passed": 1}]  # recorded by the verdict
    assert store.rows("SELECT count(*) AS n FROM solutions")[0]["n"] == 1  # the pass was archived


def test_a_lesson_held_back_by_the_share_is_not_in_the_prompt_and_counts_on_the_other_side(tmp_path: Path) -> None:
    """Issue 13: a lesson in trial goes into a random share of eligible prompts only; the attempt
    records it as held back, so its effect is a comparison."""
    store = Store.open(tmp_path / "history.db")
    tid = store.add_task(dict(TASK))
    lesson = store.add_lesson("lists", "Negative numbers need abs() before summing.", "reflection")
    cfg = Config()
    cfg.llm.url, cfg.llm.model, cfg.builder.repair_rounds, cfg.builder.reflect = "", "fake-model", 0, False
    cfg.builder.lesson_share = 0.0
    cfg.builder.lessons = 3  # off by default: on, since lessons are what is tested
    with FakeLLM([GOOD]) as fake:
        cfg.llm.url = fake.url
        w = BuilderWorker("builder-1", cfg, make_ask(store, tmp_path / "code_archive"), LLMClient(cfg.llm), sandbox_run)
        assert w.step() == 0.0
        prompt = fake.chat_requests[0]["messages"][1]["content"]
    assert "abs() before summing" not in prompt
    settings = json.loads(store.rows("SELECT llm_settings FROM attempts")[0]["llm_settings"])
    assert settings["lesson_ids"] == [] and settings["lessons_held"] == [lesson]
    assert store.get_task(tid)["status"] == "passed"
    assert store.rows("SELECT lesson_id, shown, passed FROM lesson_exposures") == [
        {"lesson_id": lesson, "shown": 0, "passed": 1}]
    assert store.db["lessons"].get(lesson)["uses"] == 0
