"""Reflection parsing (JSON, labelled lines, garbage) and the rule-based fallback."""

from __future__ import annotations

import pytest

from actors.builder.reflect import failure_category, make_reflection, parse_reflection, rule_lesson

pytestmark = pytest.mark.unit


def test_json_reflection_inside_prose() -> None:
    text = ('Sure, here it is: {"strengths": "simple", "weaknesses": ["no edge cases", "slow"], '
            '"lesson": "Handle the empty list before indexing."} Hope it helps')
    got = parse_reflection(text)
    assert got == {"strengths": "simple", "weaknesses": "no edge cases; slow",
                   "lesson": "Handle the empty list before indexing."}


def test_labelled_lines_with_markdown() -> None:
    text = ("**Strengths:** clear loop\n**Weaknesses** - forgot negatives\n"
            "Lesson learned: Test negative numbers\nexplicitly before submitting.\n\nThanks!")
    got = parse_reflection(text)
    assert got and got["strengths"] == "clear loop" and got["weaknesses"] == "forgot negatives"
    assert got["lesson"] == "Test negative numbers explicitly before submitting."


@pytest.mark.parametrize("garbage", ["", "asdf qwer", "{not json", '{"lesson": "..."}', "Lesson: <one sentence>",
                                     '{"strengths": "good", "weaknesses": "bad"}', "Lesson: ok", "\x00\x01" * 50])
def test_garbage_gives_none_and_a_rule_lesson(garbage: str) -> None:
    assert parse_reflection(garbage) is None
    r = make_reflection(garbage, "timeout")
    assert r.source == "rule" and r.lesson == rule_lesson("timeout") and r.category == "timeout"


def test_usable_llm_reflection_wins() -> None:
    r = make_reflection('{"lesson": "Sort the input first when order does not matter."}', "wrong_answer")
    assert r.source == "llm" and r.lesson.startswith("Sort the input")


def test_failure_categories() -> None:
    assert failure_category(passed=True) == "passed"
    assert failure_category(error="missing entry point: ...") == "missing_entry_point"
    assert failure_category(error="syntax error: invalid syntax (line 2)") == "syntax_error"
    assert failure_category(error="no code found in the answer") == "no_code"
    assert failure_category(report={"run": {"status": "timeout"}, "tests": []}) == "timeout"
    assert failure_category(report={"run": {"status": "cpu_limit"}, "tests": []}) == "timeout"
    assert failure_category(report={"run": {"status": "memory_limit"}, "tests": []}) == "memory"
    fail = {"passed": 0, "total": 1, "all_passed": False, "run": {"status": "ok", "stderr": ""},
            "tests": [{"name": "t", "passed": False, "error": "AssertionError"}]}
    assert failure_category(report=fail) == "wrong_answer"
    fail["tests"][0]["error"] = "Traceback ...\nZeroDivisionError: division by zero"
    assert failure_category(report=fail) == "exception:ZeroDivisionError"
    assert rule_lesson("exception:ZeroDivisionError").startswith("Guard divisions")
    assert failure_category(report={"all_passed": True, "tests": [], "run": {}}) == "wrong_hidden"
