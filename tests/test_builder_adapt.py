"""Adapting an archived solution to a new task (actors/builder/adapt.py), on the embedded model's
real exam failures: shown the archived solution of the same kind of task, SmolLM2-135M copied
it unchanged (`None` where the task asked for 0, `a + b` where it said `a * b`, `','` where it
said `';'`). The adaptation reads the difference from the two tasks' texts; each case fails on
the code before (no adaptation: the copied code fails the task's tests)."""

from __future__ import annotations

import pytest

from actors.builder.adapt import adaptations, differences, substitute
from actors.builder.pipeline import solve
from actors.builder.strategy import Strategy
from sandbox import run_tests

pytestmark = pytest.mark.process  # the sandbox runs the tests


def bank(entry: str, sig: str, body: str, examples: str) -> str:
    return (f"Write a Python function `{entry}{sig}`.\n\n{body}\n\nExamples:\n{examples}\n\n"
            "Return the result; do not print it. Use only the standard library.")


LOOKUP_OLD = bank("lookup", "(d: dict, key: str)", "Return d[key] if key is in the dictionary d, otherwise return None.",
                  "    lookup({'apple': 5}, 'missing') -> None\n    lookup({'moon': 2}, 'missing') -> None")
LOOKUP_NEW = bank("lookup", "(d: dict, key: str)", "Return d[key] if key is in the dictionary d, otherwise return -1.",
                  "    lookup({'silent': 5, 'bread': 9}, 'bread') -> 9\n    lookup({'kayak': 4}, 'missing') -> -1")
NEXT_OLD = bank("next_term", "(a: int, b: int) -> int", "In a sequence each number is the sum of the two numbers "
                "before it. Given the last two numbers a and b, return the next one (a + b).",
                "    next_term(2, 9) -> 11\n    next_term(8, 18) -> 26")
NEXT_NEW = bank("next_term", "(a: int, b: int) -> int", "In a sequence each number is the product of the two numbers "
                "before it. Given the last two numbers a and b, return the next one (a * b).",
                "    next_term(20, 5) -> 100\n    next_term(13, 11) -> 143")
SPLIT_OLD = bank("split_items", "(s: str) -> list[str]", "Return the parts of s separated by ',', in order. An empty s gives [].",
                 "    split_items('chair,sugar') -> ['chair', 'sugar']\n    split_items('kayak') -> ['kayak']")
SPLIT_NEW = bank("split_items", "(s: str) -> list[str]", "Return the parts of s separated by ';', in order. An empty s gives [].",
                 "    split_items('apple;bread') -> ['apple', 'bread']\n    split_items('stone') -> ['stone']")
SORT_OLD = bank("sort_list", "(xs: list[int]) -> list[int]", "Return a new list with the numbers of xs sorted from smallest to largest.",
                "    sort_list([8]) -> [8]\n    sort_list([3, -7, 4]) -> [-7, 3, 4]")
SORT_NEW = bank("sort_list", "(xs: list[int]) -> list[int]", "Return a new list with the numbers of xs sorted from largest to smallest.",
                "    sort_list([4]) -> [4]\n    sort_list([0, 3]) -> [3, 0]")

# (old prompt, archived code that passed it, new prompt, entry, the new task's tests)
CASES = {
    "None -> -1": (LOOKUP_OLD, "def lookup(d: dict, key: str):\n    return d[key] if key in d else None\n", LOOKUP_NEW,
                   "lookup", "assert candidate({'a': 1}, 'a') == 1\nassert candidate({'a': 1}, 'b') == -1\n"),
    "+ -> *": (NEXT_OLD, 'def next_term(a: int, b: int) -> int:\n    """Return the next term of a sequence."""\n'
               "    return a + b\n\n# Test cases\n", NEXT_NEW, "next_term",
               "assert candidate(20, 5) == 100\nassert candidate(7, 18) == 126\n"),
    "',' -> ';'": (SPLIT_OLD, "def split_items(s):\n    # split on ','\n    return s.split(',') if s else []\n",
                   SPLIT_NEW, "split_items",
                   "assert candidate('a;b') == ['a', 'b']\nassert candidate('') == []\nassert candidate('x') == ['x']\n"),
}


def task_of(prompt: str, entry: str, tests: str) -> dict:
    return {"id": "new", "title": entry, "prompt": prompt, "entry_point": entry, "skill": "s", "difficulty": 1,
            "visible_tests": tests}


@pytest.mark.parametrize("name", list(CASES))
def test_the_copied_answer_fails_and_the_adapted_one_passes(name):
    old, code, new, entry, tests = CASES[name]
    assert not run_tests(code, tests, entry_point=entry).all_passed  # what the model submitted
    found = adaptations(task_of(new, entry, tests), {"task_id": "train-1", "code": code, "prompt": old,
                                                     "entry_point": entry})
    assert len(found) == 1 and found[0].source == "train-1"
    assert run_tests(found[0].code, tests, entry_point=entry).all_passed, found[0].code


def test_only_the_code_tokens_change_not_comments_or_docstrings():
    old, code, new, entry, _ = CASES["',' -> ';'"]
    adapted, applied = substitute(code, differences(old, new))
    assert applied == ((("','", "';'")),)
    assert "# split on ','" in adapted and "s.split(';')" in adapted
    _, code, _, _, _ = CASES["+ -> *"]
    adapted, applied = substitute('"""a + b"""\n' + code, [("+", "*")])
    assert adapted.startswith('"""a + b"""') and "return a * b" in adapted


def test_the_example_lines_do_not_count_as_differences():
    assert differences(LOOKUP_OLD, LOOKUP_NEW) == [("None", "-1")]
    assert ("sum", "product") in differences(NEXT_OLD, NEXT_NEW) and ("+", "*") in differences(NEXT_OLD, NEXT_NEW)


def test_a_difference_the_code_does_not_show_gives_nothing():
    """smallest to largest -> largest to smallest: sorted() holds none of it, so no candidate
    (the old code would pass `sort_list([4])` and fail the rest)."""
    code = "def sort_list(xs):\n    return sorted(xs)\n"
    assert adaptations(task_of(SORT_NEW, "sort_list", ""), {"task_id": "t", "code": code, "prompt": SORT_OLD}) == []


def test_another_entry_point_another_sentence_or_broken_code_give_nothing():
    old, code, new, entry, tests = CASES["None -> -1"]
    example = {"task_id": "t", "code": code, "prompt": old, "entry_point": entry}
    assert adaptations(task_of(new, "find", tests), example) == []  # another function
    other = new.replace("otherwise return -1.", "otherwise return the number of keys in d plus one.")
    assert adaptations(task_of(other, entry, tests), example) == []  # a different sentence, not a substitution
    assert adaptations(task_of(new, entry, tests), {**example, "code": "def lookup(d, key:\n  return None"}) == []
    assert adaptations(task_of(new, entry, tests), None) == []


def test_the_same_description_reuses_the_code_unchanged():
    code = "def lookup(d, key):\n    return d.get(key)\n"
    other_examples = LOOKUP_OLD.replace("'apple': 5", "'pear': 7")
    found = adaptations(task_of(other_examples, "lookup", ""), {"task_id": "t", "code": code, "prompt": LOOKUP_OLD})
    assert [f.code for f in found] == [code] and found[0].substitutions == ()


class NoModel:
    """An LLM that must not be called."""
    calls = 0

    def __call__(self, messages, **kw):
        NoModel.calls += 1
        raise AssertionError("the model was asked")


def sandbox(code: str, tests: str, entry: str) -> dict:
    return run_tests(code, tests, entry_point=entry).to_dict()


def test_solve_submits_a_passing_adaptation_without_asking_the_model():
    old, code, new, entry, tests = CASES["+ -> *"]
    example = {"task_id": "train-9", "code": code, "prompt": old, "entry_point": entry}
    _, outcome = solve(task_of(new, entry, tests), Strategy(lessons=0, adapt=True), llm=NoModel(),
                       run_tests=sandbox, example=example)
    assert outcome.status == "passed" and "a * b" in outcome.code
    assert (outcome.tokens_in, outcome.tokens_out, outcome.samples) == (0, 0, 0)
    assert outcome.settings == {"adapted_from": "train-9", "substitutions": [["+", "*"]]}
    assert NoModel.calls == 0


def test_an_adaptation_that_fails_the_visible_tests_leaves_the_task_to_the_model():
    old, code, new, entry, _ = CASES["+ -> *"]
    example = {"task_id": "train-9", "code": code, "prompt": old, "entry_point": entry}
    asked: list = []

    class Right:
        def __call__(self, messages, **kw):
            asked.append(messages)
            return type("R", (), {"text": "```python\ndef next_term(a, b):\n    return a * b + 1\n```",
                                  "tokens_in": 5, "tokens_out": 7, "latency_s": 0.0, "settings": {}})()
    tests = "assert candidate(2, 3) == 7\n"  # the adapted `a * b` gives 6
    _, outcome = solve(task_of(new, entry, tests), Strategy(lessons=0, adapt=True), llm=Right(),
                       run_tests=sandbox, example=example)
    assert asked and outcome.status == "passed" and outcome.tokens_out == 7 and "adapted_from" not in outcome.settings
    assert "A solved example" in asked[0][1]["content"]  # the example is still shown to the model


def test_the_builder_records_an_adapted_answer_as_such_and_asks_the_model_nothing():
    """The daemon's builder (search auto): an archived solution of the same problem answers the
    task; the attempt says where it came from, counts as search `adapt` (not the bandit's
    choice), shows no lesson, and no reflection is asked of a model that wrote nothing."""
    from tests.builder_helpers import FakeMemory
    from tests.fakellm import FakeLLM
    from tests.test_builder_worker import LESSONS, TASK, worker

    old, code, new, entry, tests = CASES["None -> -1"]
    task = {**TASK, "prompt": new, "entry_point": entry, "visible_tests": tests}
    mem = FakeMemory([task], LESSONS, example={"task_id": "train-7", "code": code, "prompt": old, "title": "lookup",
                                               "entry_point": entry})
    with FakeLLM([], default="{}") as fake:
        w = worker(fake.url, mem, search="auto")
        assert w.step() == 0.0
    assert fake.chat_requests == []
    settings = mem.attempts[0]["llm_settings"]
    assert (settings["search"], settings["adapted_from"], settings["lesson_ids"], settings["lessons_held"]) == (
        "adapt", "train-7", [], [])
    assert mem.attempts[0]["tokens_in"] == mem.attempts[0]["tokens_out"] == 0 and "-1" in mem.attempts[0]["code"]
    ops = [op for _, op, _ in mem.asks]
    assert "score.request" in ops and "reflection.record" not in ops
    assert w.bandit is not None and not any(k[2] == "adapt" for k in (w.bandit.stats or {}))


def test_a_negative_number_is_one_literal_and_a_subtraction_is_not():
    code = "def lookup(d, key):\n    return d[key] if key in d else -1\n"
    adapted, applied = substitute(code, [("-1", "0")])
    assert "else 0" in adapted and applied == (("-1", "0"),)
    code = "def f(n):\n    return n -1\n"  # n minus 1, not the literal -1
    assert substitute(code, [("-1", "0")]) == (code, ())


@pytest.mark.parametrize("code", ["def lookup(d, key):\n    return '\0'\n", "def lookup(d, key):\n\treturn (" * 50,
                                  "def lookup(d, key):\n    return " + "(" * 500 + "None" + ")" * 500 + "\n",
                                  "lookup = lambda d, key: None  # None\n", "\x00\x01 def lookup", ""])
def test_hostile_or_broken_archived_code_gives_a_candidate_or_nothing_never_an_error(code):
    example = {"task_id": "t", "code": code, "prompt": LOOKUP_OLD, "entry_point": "lookup"}
    found = adaptations(task_of(LOOKUP_NEW, "lookup", ""), example)
    assert all(isinstance(f.code, str) for f in found)
