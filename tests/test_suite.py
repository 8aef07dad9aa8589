"""A suite: a candidate's tests groups and its efficiency race judged in one sandbox run.

Each group keeps what a run of its own gave it — its own namespace, candidate process, wall
clock, status and verdicts — so a group that hangs voids neither the verdicts before it (already
out) nor the groups after it (their own clock). The reference is raced first, before any of the
candidate's code runs; whatever a candidate leaves running is killed before the next part.
"""

from __future__ import annotations

import pytest

from sandbox import Limits, Pool, TestsFileError, suite

pytestmark = pytest.mark.process

REFERENCE = "def total(xs):\n    return sum(xs)\n"
SLOW = "def total(xs):\n    t = 0\n    for _ in range(20):\n        t = 0\n        for x in xs:\n            t += x\n    return t\n"
HIDDEN = "assert candidate([1, 2, 3]) == 6\nassert candidate([]) == 0\n"
EDGE = "assert candidate([-1]) == -1\nassert candidate([1, 2, 3]) == 6\n"  # a name the hidden group has too
RACE = {"setup": "args = (list(range(200000)),)", "reference": REFERENCE, "gate": "hidden"}
LIMITS = Limits(cpu_s=2, wall_s=6)


@pytest.fixture(scope="module")
def pool():
    p = Pool(size=2)
    yield p
    p.close()


def test_groups_keep_their_own_verdicts_and_the_reference_is_raced_first(pool) -> None:
    r = suite(REFERENCE, entry_point="total", tests=[("hidden", HIDDEN), ("edge", EDGE)], race=RACE,
              limits=LIMITS, server=pool)
    assert r.run.status == "ok" and set(r.tests) == {"hidden", "edge"}
    assert (r.tests["hidden"].passed, r.tests["hidden"].total) == (2, 2)
    assert (r.tests["edge"].passed, r.tests["edge"].total) == (2, 2)  # the shared name counted in each
    assert r.reference is not None and r.reference.ok and r.reference.wall_s > 0
    assert r.race is not None and r.race.ok and r.race.matches is True and r.race.timed_s > 0


def test_given_figures_the_reference_is_not_raced_and_a_slow_candidate_is_ranked_slower(pool) -> None:
    fast = suite(REFERENCE, entry_point="total", tests=[("hidden", HIDDEN)], race=RACE, limits=LIMITS, server=pool)
    figures = {"time_s": fast.reference.time_s, "wall_s": fast.reference.wall_s}
    slow = suite(SLOW, entry_point="total", tests=[("hidden", HIDDEN)], race={**RACE, "figures": figures},
                 limits=LIMITS, server=pool)
    assert slow.reference is None and slow.race.ok and slow.race.matches is True
    assert slow.race.time_s > 5 * fast.race.time_s, (fast.race.time_s, slow.race.time_s)


def test_a_hanging_edge_test_voids_neither_the_hidden_verdicts_nor_the_race(pool) -> None:
    # a hang that burns no CPU: the call's own timeout ends it, whatever the load (a busy loop raced
    # the group's CPU limit on a quiet box — SIGXCPU instead of the call timeout)
    code = "import time\n" + REFERENCE.replace("return sum(xs)", "if xs == [-1]:\n        time.sleep(60)\n    return sum(xs)")
    r = suite(code, entry_point="total", tests=[("hidden", HIDDEN), ("edge", EDGE)], race=RACE,
              limits=Limits(cpu_s=1, wall_s=4), server=pool)
    hidden, edge = r.tests["hidden"], r.tests["edge"]
    assert (hidden.passed, hidden.total, hidden.run.status) == (2, 2, "ok")
    assert edge.tests[0].passed is False and "call timeout" in edge.tests[0].error and edge.run.status == "timeout"
    assert edge.tests[1].passed is True  # a fresh candidate process after the timeout
    assert r.race.ok  # the race came after, on its own clock


def test_a_group_that_runs_out_of_time_leaves_the_next_group_its_own_clock(pool) -> None:
    code = REFERENCE.replace("return sum(xs)", "if len(xs) > 1:\n        while True: pass\n    return sum(xs)")
    hidden = "".join(f"assert candidate([{i}, 1]) == {i + 1}\n" for i in range(6))  # 6 hangs of 1 s > 3 s
    r = suite(code, entry_point="total", tests=[("hidden", hidden), ("edge", "assert candidate([5]) == 5\n")],
              limits=Limits(cpu_s=1, wall_s=3), server=pool)
    assert r.tests["hidden"].passed == 0 and r.tests["hidden"].run.status == "timeout"
    assert any("wall clock ran out" in t.error for t in r.tests["hidden"].tests)
    assert (r.tests["edge"].passed, r.tests["edge"].run.status) == (1, "ok")


def test_no_race_without_a_passing_gate_test(pool) -> None:
    r = suite("def total(xs):\n    return -1\n", entry_point="total", tests=[("hidden", HIDDEN)], race=RACE,
              limits=LIMITS, server=pool)
    assert r.tests["hidden"].passed == 0
    assert r.reference.ok  # raced first, before the gate was known: a property of the task
    assert not r.race.ok and "no hidden test passed" in r.race.error


def test_a_crash_in_one_group_is_that_groups_status(pool) -> None:
    code = REFERENCE.replace("return sum(xs)", "if xs == [-1]:\n        import os; os._exit(7)\n    return sum(xs)")
    r = suite(code, entry_point="total", tests=[("hidden", HIDDEN), ("edge", EDGE)], limits=LIMITS, server=pool)
    assert r.tests["hidden"].run.status == "ok" and r.tests["edge"].run.status == "error"
    assert "exited with status 7" in r.tests["edge"].tests[0].error


def test_what_a_candidate_leaves_running_is_killed_before_its_race(pool) -> None:
    """A detached CPU burner started while the hidden tests load would count in the race (the race
    reads every process of the candidate's uid): the suite kills it between parts."""
    burner = ("import os, time\n"
              "if not os.path.exists('/tmp/started'):\n"
              "    open('/tmp/started', 'w').close()\n"
              "    if os.fork() == 0:\n"
              "        os.setsid()\n"
              "        if os.fork() == 0:\n"
              "            while True: pass\n"
              "        os._exit(0)\n"
              "    time.sleep(0.2)\n")
    honest = suite(REFERENCE, entry_point="total", tests=[("hidden", HIDDEN)], race=RACE, limits=LIMITS, server=pool)
    figures = {"time_s": honest.reference.time_s, "wall_s": honest.reference.wall_s}
    r = suite(burner + REFERENCE, entry_point="total", tests=[("hidden", HIDDEN)], race={**RACE, "figures": figures},
              limits=LIMITS, server=pool)
    assert r.tests["hidden"].passed == 2 and r.race.ok
    assert r.race.time_s < 3 * max(honest.race.time_s, 0.002), (honest.race.time_s, r.race.time_s)


@pytest.mark.parametrize("kw, message", [
    ({"tests": []}, "nothing to run"),
    ({"tests": [("a", HIDDEN), ("a", EDGE)]}, "unique"),
    ({"tests": [("hidden", HIDDEN)], "race": {"setup": "args = ()"}}, "reference"),
    ({"tests": [("hidden", HIDDEN)], "race": {**RACE, "gate": "edge"}}, "gate 'edge'"),
    ({"tests": [("hidden", HIDDEN)], "race": {**RACE, "figures": {"time_s": -1, "wall_s": 1}}}, "figures"),
])
def test_a_malformed_suite_is_refused_in_one_line_before_anything_runs(kw, message) -> None:
    with pytest.raises(ValueError, match=message) as err:
        suite(REFERENCE, entry_point="total", **kw)
    assert "\n" not in str(err.value)


def test_a_broken_tests_file_is_refused_before_anything_runs() -> None:
    with pytest.raises(TestsFileError):
        suite(REFERENCE, entry_point="total", tests=[("hidden", "assert (")])
