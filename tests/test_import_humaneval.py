"""HumanEval as tasks: the pure conversion (all 164 problems) and `cogloop import humaneval`."""

from __future__ import annotations

import ast
import json
import subprocess

import pytest

from ops import humaneval
from ops.humaneval_verify import failing_examples
from store import Store, validate_task
from tests.conftest import cogloop_cmd


@pytest.fixture(scope="module")
def problems():
    return humaneval.load_problems()


@pytest.fixture(scope="module")
def tasks(problems):
    return humaneval.select(problems)


@pytest.mark.unit
def test_every_problem_converts_to_a_valid_task_in_order(tasks):
    assert len(tasks) == 164
    assert [t["id"] for t in tasks] == [f"humaneval-{i}" for i in range(164)]
    for t in tasks:
        assert validate_task(t) == [], t["id"]
        assert t["skill"] == t["source"] == "humaneval" and 1 <= t["difficulty"] <= 10
        assert t["max_attempts"] == 1 and t["meta"]["humaneval_id"] == f"HumanEval/{t['meta']['index']}"
        assert t["hidden_tests"].endswith("\n\ndef test_humaneval():\n    check(candidate)\n")
        assert f"def {t['entry_point']}(" not in t["context"]  # the context never holds the candidate's name
        assert t["reference"].startswith(t["prompt"])
        for node in ast.parse(t["visible_tests"]).body:  # only plain asserts on the candidate
            assert isinstance(node, ast.Assert) and "candidate(" in ast.unparse(node)
    helpers = {t["id"]: t["context"] for t in tasks if t["id"] in ("humaneval-32", "humaneval-38", "humaneval-50")}
    assert "def poly(" in helpers["humaneval-32"] and "def encode_cyclic(" in helpers["humaneval-38"]
    assert "def encode_shift(" in helpers["humaneval-50"] and "import math" in helpers["humaneval-32"]


@pytest.mark.process
def test_examples_found_and_only_wrong_ones_dropped(tasks):
    with_examples = [t for t in tasks if t["visible_tests"]]
    assert len(with_examples) >= 120  # 132 with humaneval 1.0.3: doctest and prose examples
    assert "assert candidate([1.0, 2.0, 3.0], 0.5) == False" in tasks[0]["visible_tests"]
    assert "assert candidate([4, 1, 2, 2, 3, 1]) == 2" in tasks[69]["visible_tests"]  # `search(...) == 2`
    assert "assert candidate([1, 2], 5) == False" in tasks[72]["visible_tests"]  # `f(...) ➞ False`
    failing = failing_examples(tasks)
    # Docstrings that are wrong (47: median) or give a definition, not an example (130: tri).
    assert set(failing) == {"humaneval-47", "humaneval-130", "humaneval-148"}
    fixed = [humaneval.without_tests(t, failing.get(t["id"], [])) for t in tasks]
    assert failing_examples(fixed) == {}  # every canonical solution passes what is left
    assert fixed[47]["visible_tests"].count("assert") == tasks[47]["visible_tests"].count("assert") - 1


@pytest.mark.unit
@pytest.mark.parametrize("call, expected, line", [
    ("f(1, 'a')", "[1, 2]", "assert candidate(1, 'a') == [1, 2]"),
    ("f(x=3)", "0.5", "assert abs(candidate(x=3) - 0.5) < 1e-6"),
    ("g(1)", "2", None),  # not the entry point
    ("f(y)", "2", None),  # not a literal argument
    ("f(1)", "true", None),  # not a Python literal
    ("f(1)", "", None),
    ("f(1", "2", None),
    ("f(*[1])", "2", None),
    ("f(1)", "float('inf')", None),
])
def test_example_assert(call, expected, line):
    assert humaneval.example_assert(call, expected, "f") == line


@pytest.mark.unit
def test_ids_and_limit(problems):
    picked = humaneval.select(problems, ids=["7", "HumanEval/3"], limit=None)
    assert [t["id"] for t in picked] == ["humaneval-3", "humaneval-7"]  # package order, not given order
    assert [t["id"] for t in humaneval.select(problems, limit=3)] == ["humaneval-0", "humaneval-1", "humaneval-2"]
    with pytest.raises(ValueError, match="unknown HumanEval problem.*HumanEval/500"):
        humaneval.select(problems, ids=["500"])
    with pytest.raises(ValueError, match="not a HumanEval problem id"):
        humaneval.select(problems, ids=["Other/1"])
    assert humaneval.convert_problem(problems["HumanEval/5"]) == humaneval.convert_problem(problems["HumanEval/5"])


def run(home, *args):
    return subprocess.run(cogloop_cmd("import", "humaneval", "--home", str(home), *args),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.process
def test_cli_import_is_idempotent(home):
    proc = run(home, "--limit", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ids"] == [f"humaneval-{i}" for i in range(5)] and out["errors"] == []
    with Store.open(home / "history.db", readonly=True) as s:
        first = [s.get_task(f"humaneval-{i}", private=True) for i in range(5)]
    proc = run(home, "--ids", "0,4", "2")
    assert proc.returncode == 0 and proc.stdout == ("HumanEval, 3 problems (humaneval-0, humaneval-2, humaneval-4): "
                                                    "0 new, 3 already present, 0 updated; nothing changed\n")
    with Store.open(home / "history.db", readonly=True) as s:
        assert s.queue_stats(source="humaneval")["total"] == 5
        assert [s.get_task(f"humaneval-{i}", private=True) for i in range(5)] == first
        assert first[0]["status"] == "queued" and first[0]["max_attempts"] == 1


@pytest.mark.process
@pytest.mark.parametrize("args, needle", [
    (["--limit", "0"], "--limit must be at least 1"),
    (["--ids", "HumanEval/164"], "unknown HumanEval problem(s): HumanEval/164"),
    (["--ids", "foo"], "not a HumanEval problem id: 'foo'"),
    (["--limit", "many"], "invalid int value"),
])
def test_cli_import_bad_input_changes_nothing(home, args, needle):
    proc = run(home, *args)
    assert proc.returncode == 2 and needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (home / "history.db").exists()


@pytest.mark.process
def test_cli_import_without_source_is_usage(home):
    proc = subprocess.run(cogloop_cmd("import", "--home", str(home)), capture_output=True, text=True)
    assert proc.returncode == 2


@pytest.mark.process
def test_reference_passes_visible_and_hidden_tests_in_the_sandbox(tasks):
    """A sample of 10 spread over the set (with and without examples), run in the real sandbox."""
    from sandbox import run_tests

    failing = failing_examples(tasks)
    sample = [humaneval.without_tests(tasks[i], failing.get(tasks[i]["id"], []))
              for i in (0, 2, 10, 32, 47, 53, 91, 130, 148, 163)]
    assert any(t["visible_tests"] == "" for t in sample) and sum(bool(t["visible_tests"]) for t in sample) >= 7
    for t in sample:
        for kind in ("visible_tests", "hidden_tests"):
            if not t[kind]:
                continue
            report = run_tests(t["reference"], t[kind], entry_point=t["entry_point"], context=t["context"])
            assert report.all_passed and report.total >= 1, (t["id"], kind, report.to_dict())
        wrong = run_tests(t["prompt"] + "    return None\n", t["hidden_tests"], entry_point=t["entry_point"],
                          context=t["context"])
        assert not wrong.all_passed, t["id"]  # the hidden tests do tell a wrong answer apart


@pytest.mark.unit
def test_add_waits_for_a_starting_memory(monkeypatch):
    """`unavailable` (Memory still starting after `up --detach`) is retried; other errors are not."""
    from ops.client import RemoteFailure
    from ops.commands import import_humaneval as cmd

    answers = [RemoteFailure("unavailable", "memory is not running (starting)")] * 2 + [{"ids": ["a"], "errors": []}]

    def fake_op(ctx, op, body):
        item = answers.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    monkeypatch.setattr(cmd, "memory_op", fake_op)
    now = [0.0]
    sleep = lambda s: now.__setitem__(0, now[0] + s)  # noqa: E731
    assert cmd._add_many(None, [{}], clock=lambda: now[0], sleep=sleep) == {"ids": ["a"], "errors": []}
    assert now[0] == 1.0 and answers == []
    answers[:] = [RemoteFailure("unavailable", "memory is not running (fatal)")] * 1000
    with pytest.raises(RemoteFailure, match="fatal"):
        cmd._add_many(None, [{}], clock=lambda: now[0], sleep=sleep)  # gives up after STARTING_WAIT_S
    answers[:] = [RemoteFailure("bad_request", "no")]
    with pytest.raises(RemoteFailure, match="bad_request"):
        cmd._add_many(None, [{}], clock=lambda: now[0], sleep=sleep)
    assert answers == []  # not retried
