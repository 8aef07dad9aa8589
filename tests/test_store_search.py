"""Examples chosen by what the task says (store/search.py, store/_archive.py): BM25 over the
archived tasks' title, prompt and entry point, instead of "same skill, nearest difficulty"
(which showed `list_count` the `max(lst)` of a `list_largest`, issue #13)."""

from __future__ import annotations

import pytest

from actors.builder.strategy import Strategy, keep_example, relevance
from actors.trainer.taskbank import make_task
from store.search import Index, task_words, word_list
from tests.storehelp import clock, store  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit


def bank(entry_point: str, skip: int = 0, skill: str = "lists", difficulty: int = 2) -> dict:
    found = [t for t in (make_task(skill, difficulty, s) for s in range(200)) if t["entry_point"] == entry_point]
    return found[skip]


def text(t: dict) -> dict:
    return {k: t[k] for k in ("title", "prompt", "entry_point")}


def archive(store, tmp_path, t: dict, tick=None) -> str:
    tid = store.add_task(dict(t))
    store.archive_solution(tid, t["skill"], t["difficulty"], t["reference"], tmp_path / "arch")
    if tick:
        tick()
    return tid


def test_words_leave_out_examples_digits_and_the_bank_boilerplate():
    t = bank("list_count")
    ws = word_list(t["title"], t["prompt"], t["entry_point"])
    assert "count" in ws and "write" not in ws and "python" not in ws
    assert not any(w.isdigit() for w in ws)
    assert task_words("list_count") == {"count"}  # snake_case split; `list` is boilerplate


def test_bm25_ranks_rare_words_above_common_ones():
    index = Index.build([("a", ["count", "items"]), ("b", ["largest", "items"]), ("c", ["items", "items"])])
    assert [k for _, k in index.search(["count", "items"])][0] == "a"
    assert index.search(["unrelated"]) == []
    assert Index.build([]).search(["count"]) == []


def test_the_example_is_the_task_that_says_the_same_not_the_nearest_of_the_skill(store, tmp_path, clock):
    """The issue's list_count case: the old rule (same skill, nearest difficulty, newest) picks the
    list_largest solution; the text picks the list_count one, with its task's text."""
    mine = bank("list_count")
    twin = bank("list_count", 1)
    largest = bank("list_largest")
    assert twin["prompt"] != mine["prompt"]
    twin_id = archive(store, tmp_path, twin, clock.tick)
    largest_id = archive(store, tmp_path, largest)  # newer and the same difficulty: the old rule's pick
    assert store.similar_solution("lists", 2)["task_id"] == largest_id
    found = store.similar_solution("lists", 2, text=text(mine))
    assert found["task_id"] == twin_id and found["prompt"] == twin["prompt"] and found["code"] == twin["reference"]
    assert found["score"] > 0 and relevance(mine, found) == 1.0
    assert store.similar_solution("lists", 2, exclude_task=twin_id, text=text(mine)) is None  # no word shared


def test_an_irrelevant_archive_shows_nothing(store, tmp_path):
    mine = bank("list_count")
    archive(store, tmp_path, bank("list_largest"))
    found = store.similar_solution("lists", 2, text=text(mine))
    # the nearest found shares a word or two at most: below the default threshold, not shown
    assert found is None or keep_example(mine, found, Strategy()) is None
    assert store.similar_solution("lists", 2, text={"title": "zzz", "prompt": "qqq", "entry_point": "xx"}) is None


def test_the_index_follows_the_archive(store, tmp_path):
    mine = bank("list_count")
    assert store.similar_solution("lists", 2, text=text(mine)) is None
    twin = archive(store, tmp_path, bank("list_count", 1))
    assert store.similar_solution("lists", 2, text=text(mine))["task_id"] == twin


def test_exam_tasks_are_never_candidates(store, tmp_path):
    """The exam never archives; even a solution filed under an exam task's id is not shown."""
    mine, twin = bank("list_count"), bank("list_count", 1)
    tid = store.add_task({**twin, "id": "exam-1"})
    store.archive_solution(tid, "lists", 2, twin["reference"], tmp_path / "arch")
    assert store.similar_solution("lists", 2, text=text(mine))["task_id"] == "exam-1"  # before it is an exam task
    store.create_exam({"id": "e1"}, [{"id": "exam-1", "position": 0, "generator": "lists/list_count",
                                      "part": "seen", "prompt_key": "k", "task": twin}])
    assert store.similar_solution("lists", 2, text=text(mine)) is None
