"""Safe normalisation (actors/builder/normalise.py) on real failing answers of SmolLM2-135M from
the exam's record (issue #13): each fails in the real sandbox as written and passes once
normalised; correct answers and ambiguous ones come back unchanged."""

from __future__ import annotations

import pytest

from actors.builder.loop import run_attempt
from actors.builder.normalise import alias_target, close_docstring, drop_test_lines, normalise, signature_arity
from actors.builder.prompt import build_prompt
from actors.llm import LLMClient
from ops.ground.config import LLMConfig
from sandbox import Limits, run_tests
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.process  # the real sandbox

PASTED_ASSERTS = '''def string_length(s: str) -> int:
    return len(s)

# Test the function
assert candidate('cXZbY') == 5
assert candidate('gXcYZe') == 6
assert candidate('XYZa') == 4
'''
PASTED_PRINT = '''def count_keys(d: dict) -> int:
    return len(d)

# Example usage:
print(candidate({'ocean': 1, 'level': 1}) == 2) # Output: 2
'''
OTHER_NAME = '''def candidate(s):
    return [str(i) for i in s.split(' ')]

# Test the function
candidate_list = candidate('ocean lemon')
print(candidate_list)  # Output: ['ocean', 'lemon']
'''
SUM_OF_TWO = '''def sum_of_two(a, b):
    """Return a + b."""
    return a + b
'''
UNTERMINATED = '''def add(a, b):
    """Return the sum of a and b.
    return a + b
'''
UNTERMINATED_PROSE = '''def add(a, b):
    """Return the sum of a and b.

    Both are ints.
    return a + b
'''


def sandbox(code: str, tests: str, entry: str) -> dict:
    return run_tests(code, tests, entry_point=entry, limits=Limits(wall_s=10)).to_dict()


@pytest.mark.parametrize("code, entry, tests", [
    (PASTED_ASSERTS, "string_length", "assert candidate('ab') == 2\nassert candidate('') == 0\n"),
    (PASTED_PRINT, "count_keys", "assert candidate({'a': 1}) == 1\n"),
    (OTHER_NAME, "split_items", "assert candidate('a b') == ['a', 'b']\n"),
    (SUM_OF_TWO, "add", "assert candidate(2, 3) == 5\n"),
    (UNTERMINATED, "add", "assert candidate(2, 3) == 5\n"),
    (UNTERMINATED_PROSE, "add", "assert candidate(2, 3) == 5\n"),
])
def test_a_real_slip_fails_as_written_and_passes_normalised(code, entry, tests):
    prompt = f"Write a Python function `{entry}(a: int, b: int) -> int`." if entry == "add" else ""
    assert not sandbox(code, tests, entry)["all_passed"]
    fixed = normalise(code, entry, prompt)
    assert fixed.changes
    assert sandbox(fixed.code, tests, entry)["all_passed"], fixed.code


@pytest.mark.parametrize("code", [
    SUM_OF_TWO.replace("sum_of_two", "add"),
    "import sys\nsys.setrecursionlimit(5000)\n\n\ndef add(a, b):\n    return a + b\n",
    "TABLE = {}\n\n\ndef _fill():\n    TABLE[1] = 2\n\n\n_fill()\n\n\ndef add(a, b):\n    return a + b + TABLE[1] - 2\n",
    "def add(a, b):\n    '''Sum.'''\n    return a + b\n",
])
def test_a_correct_answer_is_left_alone(code):
    fixed = normalise(code, "add", "Write a Python function `add(a: int, b: int) -> int`.")
    assert fixed.code == code and fixed.changes == []


def test_an_assignment_a_function_reads_is_kept():
    code = "LIMIT = add_one(3)\n\n\ndef add_one(x):\n    return x + 1\n\n\ndef f(x):\n    return x < LIMIT\n"
    assert drop_test_lines(code, {"f"}) == (code, [])


def test_the_alias_needs_one_unambiguous_function_of_the_right_arity():
    two_roots = "def a(x):\n    return x\n\n\ndef b(x):\n    return x\n"
    assert alias_target(two_roots, "f") is None
    helper = "def _h(x):\n    return x\n\n\ndef g(x):\n    return _h(x)\n"
    assert alias_target(helper, "f") == "g"
    prompt = "Write a Python function `f(a: int, b: int) -> int`."
    assert signature_arity(prompt, "f") == 2
    assert alias_target("def g(x):\n    return x\n", "f", prompt) is None  # takes 1, the task passes 2
    assert alias_target("def g(x, y=0):\n    return x\n", "f", prompt) == "g"
    assert signature_arity("def f(a, b, c):\n    pass\n", "f") == 3


def test_a_docstring_closed_at_its_end_not_over_the_body():
    fixed, done = close_docstring(UNTERMINATED_PROSE)
    assert done and fixed.splitlines()[3].endswith('Both are ints."""') and "return a + b" in fixed
    assert close_docstring("def f(:\n    pass\n") == ("def f(:\n    pass\n", False)  # another syntax error


def test_normalise_in_the_attempt_is_a_switch():
    task = {"id": "t", "title": "Length", "prompt": "Write a Python function `string_length(s: str) -> int`.",
            "entry_point": "string_length", "visible_tests": "assert candidate('ab') == 2\n"}
    answer = f"```python\n{PASTED_ASSERTS}```"
    with FakeLLM([{"content": answer}, {"content": answer}]) as fake:
        chat = LLMClient(LLMConfig(url=fake.url, model="fake-model", retries=0), sleep=lambda s: None).chat
        off = run_attempt(task, build_prompt(task), llm=chat, run_tests=sandbox, repair_rounds=0)
        on = run_attempt(task, build_prompt(task), llm=chat, run_tests=sandbox, repair_rounds=0, normalise=True)
    assert off.status == "failed" and on.status == "passed"
    assert on.normalised and "assert candidate" not in on.code and off.normalised == []
