"""The exam under `builder.search = "auto"`: the loop and nomemory arms run, per task, the search
the training record says pays best (exploiting, no exploration), so they are never cached; the
component arms stay fixed. Real sandbox and grader, scripted model."""

from __future__ import annotations

import pytest

from actors.builder.strategy import Strategy
from actors.exam.arms import cache_key, make_arm
from tests.fakellm import FakeLLM
from tests.test_exam_runner import Archive, ListSink, exam_tasks, runner  # noqa: F401 (fixture)

pytestmark = pytest.mark.process

NO_MEMORY = Strategy(lessons=0, examples="off")  # repair rounds 2, one sample: today's default search


def record(best: str) -> list[dict]:
    """A training record of the exam's skill where `best` passes most."""
    return [{"skill": "lists", "difficulty": 2, "search": s, "n": 30, "passed": 20 if s == best else 3,
             "tokens": 30 * 800} for s in ("one", "repair", "resample")]


def wrong(tasks):
    eps = [t["task"]["entry_point"] for t in tasks]

    def answer(body: dict) -> str:
        text = " ".join(m["content"] for m in body["messages"])
        ep = next(e for e in eps if e in text)
        return f"```python\ndef {ep}(*args):\n    return None\n```"
    return answer


@pytest.mark.parametrize("best, calls, samples, rounds", [
    ("resample", 4, 4, 0), ("repair", 3, 1, 2), (None, 1, 1, 0)])
def test_an_auto_arm_runs_the_search_the_record_favours(exam_tasks, best, calls, samples, rounds):
    tasks = exam_tasks[:2]
    sink, archive = ListSink(), Archive(stats=record(best) if best else [])
    with FakeLLM(default=wrong(tasks)) as fake:
        runner(fake, tasks, "loop,repair", archive, sink, base=NO_MEMORY, search="auto").run({"id": "r"})
        loop_calls = len(fake.chat_requests) - 2 * 3  # the repair arm: a first try and two repairs a task
    loop = [r for r in sink.rows if r["arm"] == "loop"]
    assert loop_calls == 2 * calls
    assert [(r["samples"], r["repair_rounds"]) for r in loop] == [(samples, rounds)] * 2
    assert archive.asked.count("search_stats") == 1  # read once, as the run starts
    if best == "resample":
        assert {(r["temperature"], r["seed"]) for r in fake.chat_requests} >= {(0.8, i) for i in range(1, 4)}


def test_auto_arms_are_never_cached_and_have_their_own_key():
    fixed, auto = make_arm("loop", NO_MEMORY), make_arm("loop", NO_MEMORY, "auto")
    assert fixed.cacheable and not auto.cacheable and not make_arm("nomemory", Strategy(), "auto").cacheable
    assert make_arm("plain", NO_MEMORY, "auto").cacheable and make_arm("repair", NO_MEMORY, "auto").search == "fixed"
    assert cache_key("e", fixed, {}) != cache_key("e", auto, {})
    # a fixed arm's key is what it was before searches were chosen (cached results stay valid)
    assert "search" not in fixed.to_dict() and auto.to_dict()["search"] == "auto"
