"""The record survives crashes (issue 10): a chaos run in the suite (tests/chaos.py).

Real processes: 2 builders, the scorer in the real sandbox, memory, trainer; 30 HumanEval
tasks (`cogloop import humaneval`) on a scripted model that answers in 1-2.5 s, so kills land
mid-attempt; kill -9 of a random actor every 1-2.5 s for 45 s and of the supervisor once (then
`cogloop up` again). Afterwards: every imported task terminal; passes agree between the report,
the tasks table and the scored attempts; no attempt scored twice; no task judged more often
than its maximum; no passing attempt whose task is not passed; no task failed without a scored
candidate; integrity_check ok; every kill on record as an event; `down` leaves no process.
"""

from __future__ import annotations

import pytest

from tests.chaos import ChaosPlan, run_chaos

pytestmark = pytest.mark.process


@pytest.mark.timeout(600)
def test_chaos_kill_9_of_actors_and_the_supervisor_leaves_a_true_record(home):
    result = run_chaos(home, ChaosPlan(tasks=30, builders=2, kill_s=45.0, kill_every=(1.0, 2.5), seed=10), log=print)
    print(result.summary())
    assert sum(1 for name, _ in result.kills if name == "supervisor") == 1
    assert len(result.kills) >= 15  # a kill every 1-2.5 s for 45 s
    assert sum(result.tasks.values()) == 30
    assert result.mismatches == []
