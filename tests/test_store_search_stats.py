"""store.search_stats and Memory's `search.stats`: per (skill, difficulty, search) the scored
attempts that named their search, how many the Scorer passed and their tokens — the Builder's
record for its search bandit (actors/builder/search.py)."""

from __future__ import annotations

import pytest

from store.service import handle
from tests.storehelp import clock, store, task  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit


def attempt(store, n: int, *, search, passed: bool | None, tokens=(100, 20), model="m", skill="math",
            difficulty=2, settings=None):
    """A task leased, attempted with `search` and (unless passed is None) scored."""
    tid = store.add_task(task(n, skill=skill, difficulty=difficulty, max_attempts=1))
    lease = store.lease("b1", 60)
    assert lease["task"]["id"] == tid
    llm = settings if settings is not None else {"model": model, **({"search": search} if search else {})}
    store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "failed", "code": "x = 1",
                          "llm_settings": llm, "tokens_in": tokens[0], "tokens_out": tokens[1]})
    if passed is not None:
        store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": passed},
                           lease_id=lease["lease_id"])


def test_scored_attempts_by_skill_difficulty_and_search(store):
    attempt(store, 1, search="resample", passed=True, tokens=(300, 100))
    attempt(store, 2, search="resample", passed=False)
    attempt(store, 3, search="one", passed=False, tokens=(50, None))
    attempt(store, 4, search="one", passed=True, skill="lists", difficulty=3)
    attempt(store, 5, search="repair", passed=None)  # not scored yet: no verdict to count
    attempt(store, 6, search=None, passed=True)  # recorded before searches were named
    attempt(store, 7, search="one", passed=True, settings="not json")  # hand-edited, read as none
    rows = store.search_stats()
    assert rows == [
        {"skill": "lists", "difficulty": 3, "search": "one", "n": 1, "passed": 1, "tokens": 120},
        {"skill": "math", "difficulty": 2, "search": "one", "n": 1, "passed": 0, "tokens": 50},
        {"skill": "math", "difficulty": 2, "search": "resample", "n": 2, "passed": 1, "tokens": 520}]


def test_one_models_record_and_the_memory_op(store):
    attempt(store, 1, search="repair", passed=True, model="strong")
    attempt(store, 2, search="resample", passed=True, model="small")
    assert [r["search"] for r in store.search_stats("strong")] == ["repair"]
    assert handle(store, "search.stats", {"model": "small"})["stats"][0]["search"] == "resample"
    assert len(handle(store, "search.stats", {})["stats"]) == 2


def test_only_the_latest_scores_count(store):
    attempt(store, 1, search="repair", passed=True)
    attempt(store, 2, search="resample", passed=False)
    attempt(store, 3, search="resample", passed=True)
    assert [(r["search"], r["n"], r["passed"]) for r in store.search_stats(window=2)] == [("resample", 2, 1)]
