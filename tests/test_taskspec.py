"""Task specification: a good task passes; each kind of bad task gets its own line."""

from __future__ import annotations

import json

import pytest

from store.errors import TaskFileError
from store.taskspec import (PUBLIC_FIELDS, count_tests, load_task_file, normalize_task, public_view,
                            validate_task)

pytestmark = pytest.mark.unit


def good(**changes):
    task = {
        "title": "Add two numbers", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n",
        "skill": "math", "difficulty": 2, "entry_point": "add",
        "visible_tests": "assert candidate(1, 2) == 3\n",
        "hidden_tests": "assert candidate(2, 2) == 4\ndef test_neg():\n    assert candidate(-1, 1) == 0\n",
        "edge_tests": "assert candidate(0, 0) == 0\n",
        "reference": "def add(a, b):\n    return a + b\n",
        "constraints": {"time_limit_s": 2, "memory_mb": 128, "forbidden_imports": ["os", "subprocess"]},
        "source": "user", "priority": 5, "meta": {"seed": 7},
    }
    task.update(changes)
    return task


def test_good_task_is_valid_and_normalized():
    assert validate_task(good()) == []
    t = normalize_task(good(), max_attempts=4)
    assert len(t["id"]) == 32 and t["max_attempts"] == 4
    assert t["constraints"] == {"time_limit_s": 2.0, "memory_mb": 128, "forbidden_imports": ["os", "subprocess"]}


def test_minimal_task_gets_defaults():
    minimal = {k: good()[k] for k in ("title", "prompt", "skill", "difficulty", "entry_point", "hidden_tests")}
    assert validate_task(minimal) == []
    t = normalize_task(minimal)
    assert (t["source"], t["priority"], t["visible_tests"], t["edge_tests"], t["reference"], t["meta"]) == \
        ("user", 0, "", "", None, {})
    assert t["constraints"] == {"time_limit_s": 5.0, "memory_mb": 512, "forbidden_imports": []}
    assert t["max_attempts"] == 3


@pytest.mark.parametrize("change, expected", [
    ({"entry_point": None}, "entry_point: missing"),
    ({"hidden_tests": "assert candidate(1 ==\n"}, "hidden_tests: does not parse: line 1"),
    ({"visible_tests": "def test_x(:\n  pass\n"}, "visible_tests: does not parse"),
    ({"difficulty": 11}, "difficulty: expected 1..10, got 11"),
    ({"difficulty": 0}, "difficulty: expected 1..10, got 0"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"difficulty": "3"}, "difficulty: expected integer, got str"),
    ({"difficulty": True}, "difficulty: expected integer, got bool"),
    ({"priority": 1.5}, "priority: expected integer, got float"),
    ({"meta": []}, "meta: expected map, got list"),
    ({"entry_point": "my-func"}, "entry_point: not a valid Python identifier"),
    ({"entry_point": "class"}, "entry_point: not a valid Python identifier"),
    ({"constraints": {"time_limit_s": -1}}, "constraints.time_limit_s: expected a number"),
    ({"constraints": {"memory_mb": 4}}, "constraints.memory_mb: expected an integer 16..65536"),
    ({"constraints": {"forbidden_imports": "os"}}, "constraints.forbidden_imports: expected a list"),
    ({"constraints": {"gpu": 1}}, "constraints.gpu: unknown constraint"),
    ({"source": "internet"}, "source: unknown source 'internet'"),
    ({"source": "trainer", "reference": None}, "reference: required for trainer tasks"),
    ({"reference": "def other(a, b):\n    return 0\n"}, "reference: does not define the entry point 'add'"),
    ({"reference": "def add(a, b) return\n"}, "reference: does not parse"),
    ({"hidden_tests": ""}, "hidden_tests: must contain at least one test"),
    ({"hidden_tests": "x = 1\n"}, "hidden_tests: contains no tests"),
    ({"title": "two\nlines"}, "title: expected one non-empty line"),
    ({"prompt": "   "}, "prompt: must not be empty"),
    ({"skill": "Has Spaces"}, "skill: expected lower-case"),
    ({"id": "bad id with spaces"}, "id: expected 1-128 characters"),
    ({"max_attempts": 0}, "max_attempts: expected 1..100"),
    ({"prompt": "x" * 200_001}, "prompt: longer than 200000 characters"),
])
def test_each_bad_task_kind_gets_a_line(change, expected):
    problems = validate_task(good(**change))
    assert any(p.startswith(expected) for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_every_problem_is_reported_not_only_the_first():
    problems = validate_task(good(difficulty=99, entry_point="1x", colour="red", source="web"))
    assert len(problems) == 4, problems


def test_not_a_map():
    assert validate_task(["a"]) == ["task: expected a map of fields, got list"]


def test_public_view_hides_hidden_edge_and_reference():
    view = public_view(normalize_task(good()))
    assert set(view) == set(PUBLIC_FIELDS)
    text = json.dumps(view)
    assert "candidate(2, 2)" not in text and "candidate(0, 0)" not in text and "return a + b" not in text
    assert "meta" not in view and "seed" not in text


def test_count_tests_counts_asserts_and_test_functions():
    assert count_tests("assert 1\ndef test_a():\n    pass\ndef helper():\n    assert 0\nassert 2\n") == 3


def test_load_json_toml_and_lists(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(good()))
    (tmp_path / "many.json").write_text(json.dumps({"tasks": [good(), good(title="b")]}))
    (tmp_path / "t.toml").write_text('[[tasks]]\ntitle = "x"\ndifficulty = 3\n[[tasks]]\ntitle = "y"\n')
    (tmp_path / "noext").write_text('title = "z"\n')
    assert load_task_file(tmp_path / "one.json")[0]["title"] == "Add two numbers"
    assert [t["title"] for t in load_task_file(tmp_path / "many.json")] == ["Add two numbers", "b"]
    assert [t["title"] for t in load_task_file(tmp_path / "t.toml")] == ["x", "y"]
    assert load_task_file(tmp_path / "noext") == [{"title": "z"}]


@pytest.mark.parametrize("name, content, expected", [
    ("bad.json", "{", "not valid JSON: line 1"),
    ("bad.toml", "title = ", "not valid TOML"),
    ("bad.txt", "{{{ nope", "neither valid JSON nor valid TOML"),
    ("empty.json", "[]", "expected a task, a list of tasks"),
    ("scalar.json", "3", "expected a task, a list of tasks"),
])
def test_bad_task_files(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TaskFileError) as err:
        load_task_file(path)
    assert expected in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_and_binary_task_files(tmp_path):
    with pytest.raises(TaskFileError, match="task file not found"):
        load_task_file(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TaskFileError, match="not a UTF-8 text file"):
        load_task_file(tmp_path / "bin.json")
