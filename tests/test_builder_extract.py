"""Code extraction from the many shapes of model answers."""

from __future__ import annotations

import pytest

from actors.builder.extract import defines, extract_code

pytestmark = pytest.mark.unit

SOLUTION = "def add(a, b):\n    return a + b"


def test_fenced_python_block_with_prose_around() -> None:
    text = f"Sure! Here is the function:\n\n```python\n{SOLUTION}\n```\n\nIt adds two numbers."
    ext = extract_code(text, "add")
    assert ext.ok and ext.method == "fenced"
    assert ext.code == SOLUTION


def test_fence_without_language_and_py_tag() -> None:
    assert extract_code(f"```\n{SOLUTION}\n```", "add").code == SOLUTION
    assert extract_code(f"```py\n{SOLUTION}\n```", "add").code == SOLUTION


def test_several_blocks_pick_the_one_defining_the_entry_point() -> None:
    text = ("First a helper:\n```python\nimport math\n\ndef sq(x):\n    return x * x\n```\n"
            "Usage:\n```python\nprint(hyp(3, 4))\n```\n"
            "Solution:\n```python\ndef hyp(a, b):\n    return math.sqrt(sq(a) + sq(b))\n```\n"
            "Output:\n```text\n5.0\n```")
    ext = extract_code(text, "hyp")
    assert ext.ok
    assert "def hyp" in ext.code and "def sq" in ext.code and "import math" in ext.code
    assert "print(" not in ext.code  # the usage example is not glued on


def test_several_definitions_prefer_one_that_parses() -> None:
    text = "```python\ndef f(x):\n    return x +\n```\n```python\ndef f(x):\n    return x + 1\n```"
    ext = extract_code(text, "f")
    assert ext.ok and ext.code.endswith("x + 1")


def test_bare_code_with_prose_lines() -> None:
    text = f"Here you go.\n{SOLUTION}\nThis returns the sum of a and b."
    ext = extract_code(text, "add")
    assert ext.ok and ext.method == "bare"
    assert ext.code == SOLUTION


def test_unterminated_fence_at_max_tokens() -> None:
    ext = extract_code(f"```python\n{SOLUTION}\n", "add")
    assert ext.ok and ext.code == SOLUTION


def test_body_only_answer_is_grafted_onto_the_prompt() -> None:
    prompt = 'def add(a, b):\n    """Return a + b."""\n'
    ext = extract_code("    return a + b\n", "add", prompt)
    assert ext.ok and ext.method == "body"
    assert defines(ext.code, "add")


def test_missing_entry_point_is_a_clear_failure() -> None:
    ext = extract_code("```python\ndef plus(a, b):\n    return a + b\n```", "add")
    assert not ext.ok
    assert ext.error.startswith("missing entry point") and "'add'" in ext.error
    assert "def plus" in ext.code  # kept for the record


def test_no_code_at_all() -> None:
    ext = extract_code("I am sorry, I cannot help with that.", "add")
    assert not ext.ok and ext.error.startswith("no code found")
    assert extract_code("", "add").error.startswith("empty answer")


def test_syntax_error_is_reported_with_the_code() -> None:
    ext = extract_code("```python\ndef add(a, b):\n    return (a + b\n```", "add")
    assert not ext.ok and ext.error.startswith("syntax error")
    assert "def add" in ext.code


def test_think_tags_are_ignored() -> None:
    text = f"<think>maybe def add(a): pass</think>\n```python\n{SOLUTION}\n```"
    assert extract_code(text, "add").code == SOLUTION
