"""Choosing the exam (pure): seeds training never uses, reserved generators, no duplicates."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from actors.exam.guard import ExamGuard, generator_of, prompt_key
from actors.exam.tasks import ExamDraft, ExamSpec, ExamSpecError, select_exam
from actors.trainer.taskbank import make_task

pytestmark = pytest.mark.unit

SPEC = ExamSpec(tasks=40)


@functools.lru_cache(maxsize=None)
def first() -> ExamDraft:
    return select_exam(SPEC)


def test_exam_is_deterministic_and_uses_only_negative_seeds():
    a, b = first(), select_exam(SPEC)
    assert [t["task"]["prompt"] for t in a.tasks] == [t["task"]["prompt"] for t in b.tasks]
    assert len(a.tasks) == 40 and a.shortfall == 0
    assert all(t["task"]["meta"]["seed"] < 0 for t in a.tasks)  # training seeds are >= 0
    assert {t["task"]["difficulty"] for t in a.tasks} == {1, 2}
    other = select_exam(ExamSpec(tasks=40, seed=1))
    assert {t["prompt_key"] for t in other.tasks} != {t["prompt_key"] for t in a.tasks}


def test_one_untrained_generator_is_reserved_per_level_with_several():
    d = first()
    # difficulties 1-2: lists (two levels), math, sorting, stacks and strings have variants at level 1
    assert len(d.reserved) == 6
    levels = Counter(make_level(g) for g in d.reserved)
    assert max(levels.values()) == 1
    assert "recursion/factorial" not in d.reserved  # a level's only generator stays trainable
    trained = {"lists/product_of", "lists/sum_of"}
    d2 = select_exam(SPEC, training_generators=trained)
    assert not set(d2.reserved) & trained and "lists/difference_of" in d2.reserved


def make_level(generator: str) -> str:
    for t in first().tasks:
        if t["generator"] == generator:
            return f"{t['task']['skill']}/{t['task']['difficulty']}"
    raise AssertionError(generator)


def test_parts_follow_the_reservation_and_the_share():
    d = select_exam(ExamSpec(tasks=80, heldout_share=0.25))
    parts = Counter(t["part"] for t in d.tasks)
    assert parts == {"seen": 60, "heldout": 20}
    for t in d.tasks:
        assert (t["generator"] in d.reserved) == (t["part"] == "heldout")
    assert {t["generator"] for t in d.tasks if t["part"] == "heldout"} == set(d.reserved)  # every one used
    none = select_exam(ExamSpec(tasks=20, heldout_share=0.0))
    assert none.reserved == [] and {t["part"] for t in none.tasks} == {"seen"}


def test_exact_duplicates_of_training_prompts_are_dropped():
    """The issue: up to 4 of 40 exam prompts matched a training prompt exactly."""
    trained = {t["prompt_key"] for t in first().tasks[:10]}
    again = select_exam(SPEC, training_prompts=trained)
    assert len(again.tasks) == 40
    assert not trained & {t["prompt_key"] for t in again.tasks}
    assert again.dropped["training_duplicate"] >= 10


def test_no_two_exam_tasks_share_a_prompt():
    # factorial at level 1 has few distinct prompts: many seeds repeat one
    d = select_exam(ExamSpec(tasks=120, skills=("recursion",), difficulties=(1,), heldout_share=0.0))
    keys = [t["prompt_key"] for t in d.tasks]
    assert len(keys) == len(set(keys)) and d.dropped["exam_duplicate"] > 0


def test_humaneval_problems_join_the_heldout_part_unless_trained():
    he = {"id": "humaneval-0", "title": "HumanEval/0: f", "prompt": "def f(x):\n    '''x'''\n", "skill": "humaneval",
          "difficulty": 2, "entry_point": "f", "hidden_tests": "assert candidate(1) == 1\n", "reference": "def f(x): return x",
          "meta": {"humaneval_id": "HumanEval/0"}}
    d = select_exam(ExamSpec(tasks=10), humaneval=[he])
    mine = [t for t in d.tasks if t["generator"] == "humaneval/HumanEval/0"]
    assert len(mine) == 1 and mine[0]["part"] == "heldout"
    assert len(d.tasks) == 10
    trained = select_exam(ExamSpec(tasks=10), humaneval=[he], training_prompts={prompt_key(he["prompt"])})
    assert "humaneval/HumanEval/0" not in {t["generator"] for t in trained.tasks}


@pytest.mark.parametrize("kw, words", [({"tasks": 0}, "tasks"), ({"difficulties": (0,)}, "difficulties"),
                                       ({"skills": ("cooking",)}, "cooking"), ({"heldout_share": 1.5}, "heldout"),
                                       ({"seed": -1}, "seed")])
def test_bad_specs_are_one_line_errors(kw, words):
    with pytest.raises(ExamSpecError) as err:
        ExamSpec(**kw)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_guard_blocks_reserved_generators_and_exam_prompts():
    d = first()
    guard = d.guard()
    assert all(not guard.allows(t["task"]) for t in d.tasks)
    reserved = d.reserved[0]
    skill = reserved.split("/")[0]
    level = next(t["task"]["difficulty"] for t in d.tasks if t["generator"] == reserved)
    drawn = [make_task(skill, level, s) for s in range(60)]
    assert {generator_of(t) for t in drawn if not guard.allows(t)} == {reserved}
    assert any(guard.allows(t) for t in drawn)
    assert ExamGuard().allows(d.tasks[0]["task"]) and not ExamGuard()


def test_prompt_key_ignores_whitespace_only():
    assert prompt_key("a  b\n c") == prompt_key("a b c") != prompt_key("a b d")


def test_any_prefix_of_the_exam_mixes_the_parts():
    d = select_exam(ExamSpec(tasks=40, heldout_share=0.25))
    first = [t["part"] for t in d.tasks[:12]]
    assert "seen" in first and "heldout" in first
    assert len({t["task"]["skill"] for t in d.tasks[:12]}) >= 5
