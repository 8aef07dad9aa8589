"""The procedural task bank: valid tasks, references that pass their tests in the real
sandbox, efficiency inputs that run within the limits, determinism and variety."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from actors.trainer.taskbank import (MAX_DIFFICULTY, MIN_DIFFICULTY, SKILL_MAP, SKILLS, UnknownSkill,
                                     make_task, skill_map)
from sandbox import run_code, run_tests
from store.taskspec import count_tests, validate_task

LEVELS = range(MIN_DIFFICULTY, MAX_DIFFICULTY + 1)
ALL = [(s, d) for s in SKILLS for d in LEVELS]


@pytest.mark.unit
def test_ten_skills_with_ten_levels_each():
    assert len(SKILLS) >= 10
    assert {"strings", "lists", "math", "recursion", "sorting_searching", "dicts_hashing", "parsing",
            "stacks_queues", "dynamic_programming", "graphs"} <= set(SKILLS)
    assert (MIN_DIFFICULTY, MAX_DIFFICULTY) == (1, 10)


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_task_is_valid(seed):
    for skill, d in ALL:
        task = make_task(skill, d, seed)
        assert validate_task(task) == [], (skill, d, seed)
        assert task["source"] == "trainer" and task["skill"] == skill and task["difficulty"] == d
        assert task["reference"] and task["meta"]["seed"] == seed
        assert 2 <= count_tests(task["visible_tests"]) <= 3, (skill, d)
        assert count_tests(task["hidden_tests"]) >= 3, (skill, d)
        assert count_tests(task["edge_tests"]) >= 1, (skill, d)
        # hidden tests are not the visible ones again
        assert not set(task["hidden_tests"].splitlines()) & set(task["visible_tests"].splitlines()), (skill, d)
        assert task["entry_point"] in task["prompt"]


@pytest.mark.process
def test_every_reference_passes_all_its_tests_in_the_sandbox():
    failures = []
    for skill, d in ALL:
        task = make_task(skill, d, 0)
        tests = task["visible_tests"] + task["hidden_tests"] + task["edge_tests"]
        report = run_tests(task["reference"], tests, entry_point=task["entry_point"], context=task["context"])
        if not report.all_passed or report.total != count_tests(tests):
            failures.append((skill, d, report.run.status, [t.error for t in report.tests if not t.passed][:1]))
    assert failures == []


def _passes(code: str, task: dict, field: str) -> bool:
    """In-process check with our own trusted code (the stub or the reference): every assert holds."""
    ns: dict = {}
    exec(task["context"], ns)  # the task's trusted helpers, as the judge runs them
    exec(code, ns)
    ns["candidate"] = ns[task["entry_point"]]
    try:
        exec(task[field], ns)
    except AssertionError:
        return False
    return True


@pytest.mark.unit
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_expected_values_survive_the_round_trip_through_source(seed):
    """Other seeds, in-process: the literal written into each test equals what the reference returns."""
    for skill, d in ALL:
        task = make_task(skill, d, seed)
        for field in ("visible_tests", "hidden_tests", "edge_tests"):
            assert _passes(task["reference"], task, field), (skill, d, field)


@pytest.mark.unit
def test_a_wrong_solution_fails_the_hidden_tests():
    """The tests have teeth: constant answers do not pass any level's hidden tests."""
    for skill, d in ALL:
        task = make_task(skill, d, 0)
        for const in ("None", "0", "[]", "''", "False"):
            stub = f"def {task['entry_point']}(*args):\n    return {const}\n"
            assert not _passes(stub, task, "hidden_tests"), (skill, d, const)


@pytest.mark.process
def test_efficiency_inputs_run_the_reference_within_the_time_limit():
    """One sandbox run per skill runs every level's reference on its large input once."""
    for skill in SKILLS:
        parts = ["import time, json\ntimes = {}\n"]
        limit = {}
        for d in LEVELS:
            task = make_task(skill, d, 0)
            eff = task["meta"].get("efficiency")
            if not eff:
                continue
            limit[str(d)] = task["constraints"]["time_limit_s"]
            parts.append(
                f"ns = {{}}\nexec({task['reference']!r}, ns)\nexec({eff['setup']!r}, ns)\n"
                f"ns['candidate'] = ns[{task['entry_point']!r}]\nt0 = time.perf_counter()\n"
                f"eval({eff['call']!r}, ns)\ntimes[{str(d)!r}] = time.perf_counter() - t0\n")
        parts.append("print(json.dumps(times))\n")
        run = run_code("".join(parts))
        assert run.status == "ok", (skill, run.stderr[-500:])
        times = json.loads(run.stdout.strip().splitlines()[-1])
        assert set(times) == set(limit), skill
        slow = {d: t for d, t in times.items() if t > limit[d]}
        assert not slow, (skill, slow)
    assert sum(bool(make_task(s, d, 0)["meta"].get("efficiency")) for s, d in ALL) >= 70


@pytest.mark.process
def test_same_seed_same_task_even_in_another_process():
    def digest() -> str:
        blob = json.dumps([make_task(s, d, 5) for s, d in ALL], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()
    code = ("import hashlib, json\nfrom actors.trainer.taskbank import SKILLS, make_task\n"
            "blob = json.dumps([make_task(s, d, 5) for s in SKILLS for d in range(1, 11)], sort_keys=True)\n"
            "print(hashlib.sha256(blob.encode()).hexdigest())\n")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123", **__import__("os").environ})
    assert digest() == digest() == other.stdout.strip()


@pytest.mark.unit
def test_tasks_vary_across_seeds():
    for skill, d in ALL:
        tasks = [make_task(skill, d, seed) for seed in range(6)]
        assert len({t["hidden_tests"] for t in tasks}) >= 4, (skill, d)
        assert len({t["prompt"] for t in tasks}) >= 4, (skill, d)


@pytest.mark.unit
def test_easy_levels_are_tiny_one_function_tasks():
    for skill in SKILLS:
        for d, most in ((1, 3), (2, 5)):
            task = make_task(skill, d, 3)
            body = [ln for ln in task["reference"].splitlines() if ln.strip()]
            assert len(body) <= most, (skill, d, task["reference"])
            assert len(task["prompt"]) < 500, (skill, d)
            assert task["prompt"].count("def ") == 0  # a plain sentence, not code to complete


@pytest.mark.unit
def test_skill_map_prerequisites_are_known_and_acyclic():
    assert set(SKILL_MAP) == set(SKILLS)
    for skill, prereqs in SKILL_MAP.items():
        assert set(prereqs) <= set(SKILLS) and skill not in prereqs
    order, seen = [], set()

    def visit(s: str, path: tuple) -> None:
        assert s not in path, f"cycle through {s}"
        if s not in seen:
            for p in SKILL_MAP[s]:
                visit(p, path + (s,))
            seen.add(s)
            order.append(s)
    for s in SKILLS:
        visit(s, ())
    assert order.index("dynamic_programming") > order.index("recursion")
    assert json.loads(json.dumps(skill_map()))["graphs"]["prerequisites"] == list(SKILL_MAP["graphs"])


@pytest.mark.unit
def test_bad_requests_get_clear_errors():
    with pytest.raises(UnknownSkill, match="unknown skill 'poetry'"):
        make_task("poetry", 1, 0)
    for bad in (0, 11, "3", 2.0, True):
        with pytest.raises(ValueError, match="difficulty"):
            make_task("lists", bad, 0)
