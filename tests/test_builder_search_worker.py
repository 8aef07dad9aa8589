"""The builder under `builder.search = "auto"` against a scripted model and an in-memory Memory:
it tries each search once, then runs the one its record says pays — resampling for a model
whose first tries fail and whose samples pass, repair rounds for one that repairs — and every
attempt names its search in `llm_settings`. `fixed` runs the configured strategy as before."""

from __future__ import annotations

import pytest

from tests.builder_helpers import FakeMemory
from tests.fakellm import FakeLLM
from tests.test_builder_worker import RIGHT, TASK, worker

pytestmark = pytest.mark.unit

WRONG = "```python\ndef add(a, b):\n    return a - b\n```"


def tasks(n: int) -> list[dict]:
    return [dict(TASK, id=f"t{i}") for i in range(n)]


def samples_pass(body: dict) -> str:
    """A model whose first try is wrong and whose samples (temperature 0.8, seeded) are right."""
    return RIGHT if body.get("temperature") == 0.8 and body.get("seed") is not None else WRONG


def repairs_pass(body: dict) -> str:
    """A model that gets it right once told what failed (a repair round)."""
    told = any("failed" in m["content"].lower() for m in body["messages"][1:] if m["role"] == "user") \
        and len(body["messages"]) > 2
    return RIGHT if told else WRONG


def run(answer, n: int, search: str = "auto") -> tuple[FakeMemory, list[str]]:
    mem = FakeMemory(tasks(n), hidden_pass=lambda code: "a + b" in code)
    with FakeLLM(default=answer) as fake:
        w = worker(fake.url, mem, search=search)
        w.cfg.builder.reflect = False
        for _ in range(n):
            assert w.step() == 0.0
    return mem, [a["llm_settings"].get("search") for a in mem.attempts]


def test_a_model_whose_samples_pass_is_resampled():
    mem, used = run(samples_pass, 15)
    assert used[:3] == ["one", "repair", "resample"]  # each search tried once, cheapest first
    assert used[-5:] == ["resample"] * 5, used
    assert sum(c["outcome"] == "passed" for c in mem.completed[-5:]) == 5
    asks = [op for _, op, _ in mem.asks]
    assert asks.index("search.stats") == 1  # after the lease, before the memory asks
    # read at the start, and again once the answering model is known (its record only); the
    # builder's own verdicts are added as they come, not read back per task
    assert [b for _, op, b in mem.asks if op == "search.stats"] == [{}, {"model": "fake-model"}]
    assert mem.attempts[2]["llm_settings"]["search_reason"] == "untried"


def test_a_model_that_repairs_is_repaired():
    _, used = run(repairs_pass, 15)
    assert used[:3] == ["one", "repair", "resample"]
    assert used[-5:] == ["repair"] * 5, used


def test_fixed_runs_the_configured_strategy_and_names_it():
    mem, used = run(samples_pass, 3, search="fixed")
    assert used == ["repair"] * 3  # the default configuration: two repair rounds, one sample
    assert "search.stats" not in [op for _, op, _ in mem.asks]


def test_a_failed_search_stats_runs_the_configured_search_and_keeps_the_task():
    """Memory's search.stats failing used to give the task back (lost work) on every lease; now
    the attempt runs the configured search, says so, and the next task asks again."""
    class NoStats(FakeMemory):
        def search_stats(self, model):
            raise TimeoutError("memory did not answer search.stats")

    mem = NoStats(tasks(2), hidden_pass=lambda code: "a + b" in code)
    with FakeLLM(default=RIGHT) as fake:
        w = worker(fake.url, mem, search="auto")
        w.cfg.builder.reflect = False
        w.step(), w.step()
    assert mem.released == [] and len(mem.attempts) == 2
    assert [a["llm_settings"]["search_reason"] for a in mem.attempts] == ["no statistics: configured"] * 2
    assert [op for _, op, _ in mem.asks].count("search.stats") == 2  # asked again at the next task
