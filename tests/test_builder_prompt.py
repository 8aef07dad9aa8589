"""Prompt building: stable prefix, content, token budget and its trimming order."""

from __future__ import annotations

import pytest

from actors.builder.prompt import SYSTEM_PROMPT, build_prompt, estimate_tokens, messages_tokens, repair_prompt

pytestmark = pytest.mark.unit

TASK = {"id": "t1", "title": "Add", "prompt": "Return the sum of a and b.", "entry_point": "add",
        "visible_tests": "assert candidate(1, 2) == 3", "skill": "math", "difficulty": 1,
        "constraints": {"time_limit_s": 2, "forbidden_imports": ["os"]}}
LESSONS = [{"id": 7, "text": "Check edge cases."}, {"id": 3, "text": "Mind integer overflow in other languages."}]
EXAMPLE = {"task_id": "old", "code": "def sub(a, b):\n    return a - b"}


def test_prompt_has_task_entry_point_constraints_lessons_and_example() -> None:
    p = build_prompt(TASK, LESSONS, EXAMPLE, budget=3000)
    system, user = p.messages
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    for piece in ("Return the sum of a and b.", "`add`", "assert candidate(1, 2) == 3", "do not import os",
                  "Check edge cases.", "def sub"):
        assert piece in user["content"]
    assert p.lesson_ids == [7, 3] and p.example_task == "old" and not p.trimmed
    assert p.tokens == messages_tokens(p.messages)


def test_system_prefix_is_identical_across_tasks() -> None:
    other = dict(TASK, prompt="Reverse a string.", entry_point="rev")
    assert build_prompt(TASK).messages[0] == build_prompt(other, LESSONS).messages[0]


def test_budget_drops_example_then_lessons_never_the_task() -> None:
    big_example = {"task_id": "old", "code": "x = 1\n" * 400}
    full = build_prompt(TASK, LESSONS, big_example, budget=100_000)
    assert full.example_task == "old"
    p = build_prompt(TASK, LESSONS, big_example, budget=full.tokens - 10)
    assert p.example_task is None and p.trimmed == ["example"] and p.lesson_ids == [7, 3]
    tight = build_prompt(TASK, LESSONS, big_example, budget=build_prompt(TASK).tokens + 8)
    assert tight.lesson_ids == [] and tight.trimmed == ["example", "lesson 3", "lesson 7"]
    assert TASK["prompt"] in tight.messages[1]["content"] and not tight.over_budget
    tiny = build_prompt(TASK, LESSONS, EXAMPLE, budget=10)
    assert tiny.over_budget and TASK["prompt"] in tiny.messages[1]["content"]


def test_repair_prompt_carries_answer_and_clipped_error() -> None:
    first = build_prompt(TASK)
    error = "Traceback start\n" + "noise line\n" * 5000 + "AssertionError: expected 3, got 4"
    r = repair_prompt(first, "```python\ndef add(a, b): return a - b\n```", error, budget=1000)
    assert [m["role"] for m in r.messages] == ["system", "user", "assistant", "user"]
    last = r.messages[-1]["content"]
    assert "Traceback start" in last and "AssertionError: expected 3, got 4" in last  # head and tail kept
    assert "chars cut" in last and "error output" in r.trimmed
    assert r.tokens <= 1000


def test_estimate_is_chars_over_four() -> None:
    assert estimate_tokens("") == 0 and estimate_tokens("abcd") == 1 and estimate_tokens("abcde") == 2
