"""Trimming an archived solution before it is shown as an example (actors/builder/trim.py).

The junk below is the embedded model's, from archived solutions of a trained home: each passed
its hidden tests, and each carries lines the model then copies into its next answer."""

from __future__ import annotations

import ast

import pytest

from actors.builder.strategy import Strategy, keep_example
from actors.builder.trim import trim_example

pytestmark = pytest.mark.unit

UNUSED_HELPER = '''def string_lower(s: str) -> str:
    return s.lower()

def string_lower_with_memory():
    with open('test.txt', 'w') as f:
        f.write("fZg\\n")  # test file will be written to stdout, not stderr
'''

TEST_LOOP = '''def times_n(n: int) -> int:
    return n * 4

# Test the function
test_cases = [1, -2, 3, 5]
for test_case in test_cases:
    print(f"Test case {test_case} passed.")
'''

FAKE_CANDIDATE = '''def difference_of(a: int, b: int) -> int:
    return a - b

def candidate(*args):
    with open("output.txt", "w") as f:
        for arg in args:
            f.write(str(arg))  # write to file

    print(f"Test passed.")
'''


def top_names(code: str) -> list[str]:
    out = []
    for node in ast.parse(code).body:
        out.append(getattr(node, "name", type(node).__name__))
    return out


@pytest.mark.parametrize("code, entry", [(UNUSED_HELPER, "string_lower"), (TEST_LOOP, "times_n"),
                                         (FAKE_CANDIDATE, "difference_of")])
def test_junk_around_the_entry_function_is_cut(code: str, entry: str) -> None:
    trimmed = trim_example(code, entry)
    assert top_names(trimmed) == [entry]
    assert "print" not in trimmed and "open(" not in trimmed
    namespace: dict = {}
    exec(compile(trimmed, "<example>", "exec"), namespace)  # the kept function still works
    assert callable(namespace[entry])


def test_what_the_entry_point_reaches_is_kept_in_order() -> None:
    code = '''import math
from functools import reduce

LIMIT = 10
UNUSED = 3

@staticmethod
def unrelated():
    return 1

def helper(x):
    return math.sqrt(x) + LIMIT

def solve(xs):
    return [helper(x) for x in xs]

print(solve([4]))
'''
    trimmed = trim_example(code, "solve")
    assert top_names(trimmed) == ["Import", "ImportFrom", "Assign", "helper", "solve"]
    assert "UNUSED" not in trimmed and "unrelated" not in trimmed and "print" not in trimmed
    ns: dict = {}
    exec(compile(trimmed, "<example>", "exec"), ns)
    assert ns["solve"]([4]) == [12.0]


def test_recursion_and_aliases_survive() -> None:
    code = "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n\nfactorial = fact\n\nprint(factorial(5))\n"
    trimmed = trim_example(code, "factorial")
    assert top_names(trimmed) == ["fact", "Assign"]
    ns: dict = {}
    exec(compile(trimmed, "<example>", "exec"), ns)
    assert ns["factorial"](5) == 120


@pytest.mark.parametrize("code", ["def f(:\n  pass\n", "def other():\n    return 1\n\nprint(other())\n",
                                  "def solve():\n    return 1\n"])
def test_unparsable_missing_or_clean_code_is_unchanged(code: str) -> None:
    assert trim_example(code, "solve") == code


def test_keep_example_shows_the_trimmed_code_when_switched_on() -> None:
    task = {"title": "Return n multiplied by 5", "prompt": "Return n multiplied by 5.", "entry_point": "times_n"}
    example = {"task_id": "t1", "code": TEST_LOOP, "title": "Return n multiplied by 4",
               "prompt": "Return n multiplied by 4.", "entry_point": "times_n"}
    shown = keep_example(task, example, Strategy(example_trim=True))
    assert shown is not None and "print" not in shown["code"] and "return n * 4" in shown["code"]
    assert example["code"] == TEST_LOOP  # the archive's row is not changed
    whole = keep_example(task, example, Strategy())  # off by default: no gain measured on the exam
    assert whole is not None and whole["code"] == TEST_LOOP
