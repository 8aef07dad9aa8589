"""The search bandit in a real daemon (supervisor, Memory over the bus, the real Scorer and
sandbox, one builder) against a scripted model whose first tries are wrong and whose samples
(temperature 0.8, seeded) are right: under `builder.search = "auto"` the builder tries each
search, then resamples — as the attempts' recorded `llm_settings` show, and Memory's
`search.stats` counts."""

from __future__ import annotations

import json

import pytest

from store import Store
from tests.daemon_helpers import Daemon, wait_for
from tests.storehelp import task
from tests.test_builder_search_worker import samples_pass
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.process

N = 10


@pytest.mark.timeout(120)
def test_a_daemon_builder_switches_to_resampling(tmp_path) -> None:
    # fixed ids: each choice is seeded by its task id, so the run is the same every time
    tasks = [task(i, id=f"search-{i:02d}", max_attempts=1) for i in range(N)]
    with FakeLLM(default=samples_pass) as fake:
        d = Daemon(tmp_path, "memory:memory, scorer:scorer, builder-1:builder", COGLOOP_LLM_URL=fake.url,
                   COGLOOP_BUILDER_REFLECT="false", COGLOOP_BUILDER_SEARCH="auto",
                   COGLOOP_BUILDER_ADAPT="false")  # one problem ten times: adapt would answer the rest
        d.start()
        try:
            d.forward("memory", "task.add_many", {"tasks": tasks})
            db = tmp_path / "history.db"
            wait_for(lambda: Store.open(db, readonly=True).one(
                "SELECT count(*) AS n FROM scores")["n"] == N, timeout=90, what=f"{N} attempts scored")
            stats = d.forward("memory", "search.stats", {"model": "fake-model"})["stats"]
        finally:
            d.stop()
    rows = Store.open(db, readonly=True).rows(
        "SELECT a.task_id, a.llm_settings, s.passed FROM attempts a JOIN scores s ON s.attempt_id = a.id "
        "ORDER BY a.task_id")
    used = [json.loads(r["llm_settings"])["search"] for r in rows]
    assert used[:3] == ["one", "repair", "resample"], used  # each search once, cheapest first
    assert used[-4:] == ["resample"] * 4, used
    assert [bool(r["passed"]) for r in rows][-4:] == [True] * 4
    by_search = {r["search"]: r for r in stats}
    assert by_search["resample"]["passed"] == by_search["resample"]["n"] == used.count("resample")
    assert by_search["one"]["passed"] == 0 and sum(r["n"] for r in stats) == N
