"""The verdict is the record (issue 10): a score completes its task in the same transaction, only
scored attempts count toward max_attempts, lost work has its own cap. The first two tests are
the issue's findings, as they happened on v3 (they fail there); the rest pin the rules."""

from __future__ import annotations

import pytest

from store._rules import after_loss, after_verdict, refuse_verdict
from tests.storehelp import clock, judge, open_store, store, task  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit


def test_finding_a_scored_pass_survives_its_builder_dying_before_it_completes(store, tmp_path):
    """Issue 10: an attempt scored passed; its builder was killed before `task.complete`; the new
    incarnation reclaimed the lease and, with max_attempts 1, the task ended failed while the
    attempt row said passed with completed_at NULL."""
    tid = store.add_task(task(1, max_attempts=1))
    lease = store.lease("builder-1", 900)
    store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "passed", "code": "def add(a, b): ..."})
    store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True})
    # builder-1 is killed -9 here; its next incarnation's first lease reclaims what it held
    assert store.lease("builder-1", 900, reclaim=True) is None
    assert store.get_task(tid)["status"] == "passed"
    row = store.db["attempts"].get(lease["attempt_id"])
    assert row["outcome"] == "passed" and row["completed_at"] is not None and row["lost"] is None
    passes = store.one("SELECT count(*) AS n FROM scores WHERE passed = 1")["n"]
    assert passes == store.queue_stats()["passed"] == 1  # report and tasks table agree


def test_finding_release_after_a_verdict_grants_no_second_candidate(store):
    """Issue 10: `release()` after a recorded attempt put the attempts counter back, and the next
    lease was attempt 1 again: a one-attempt HumanEval task got two scored candidates (and a
    max-3 task four)."""
    tid = store.add_task(task(1, max_attempts=1))
    lease = store.lease("builder-1", 900)
    store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "failed", "code": "x"})
    store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.1, "passed": False})
    # the builder's score request timed out after Memory had recorded the verdict: it gives the task back
    store.release(lease["lease_id"])
    second = store.lease("builder-1", 900)
    if second is not None:  # v3 handed it out again; a second verdict would be a second candidate
        store.record_score({"attempt_id": second["attempt_id"], "task_id": tid, "total": 0.1, "passed": False})
    assert second is None
    assert store.one("SELECT count(*) AS n FROM scores WHERE task_id = ?", [tid])["n"] == 1
    assert store.get_task(tid)["status"] == "failed"


def test_release_never_touches_a_scored_attempt(store):
    tid = store.add_task(task(1, max_attempts=3))
    lease = store.lease("b1", 900)
    judge(store, lease, passed=False)
    assert store.release(lease["lease_id"], "score request timed out") is False
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("queued", 1, 0)
    assert store.db["attempts"].get(lease["attempt_id"])["lost"] is None
    assert store.db["events"].count == 0


def test_a_one_attempt_task_gets_exactly_one_judged_candidate_whatever_is_lost_before(tmp_path, clock):
    store = open_store(tmp_path / "h.db", clock, max_lost=5)
    tid = store.add_task(task(1, max_attempts=1))
    for how in ("reclaim", "expire", "reason"):
        lease = store.lease("b1", 5)
        if how == "reclaim":
            store.lease("b1", 5, reclaim=True)  # b1 restarted: the new lease is this same task again
            lease = store.one("SELECT lease_id, id AS attempt_id FROM attempts WHERE status = 'running'")
            store.release(lease["lease_id"], "llm: connection refused")
        elif how == "expire":
            clock.tick(6)
            store.sweep_expired()
        else:
            store.release(lease["lease_id"], "builder-1: RemoteError: timeout")
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("queued", 0, 4)  # never failed without a verdict
    assert judge(store, store.lease("b2", 5), passed=False)["task_status"] == "failed"
    assert store.lease("b2", 5) is None


def test_a_late_verdict_on_an_error_task_counts_and_a_pass_wins(tmp_path, clock):
    store = open_store(tmp_path / "h.db", clock, max_lost=1)
    tid = store.add_task(task(1, max_attempts=2))
    slow = store.lease("b1", 5)
    clock.tick(6)
    store.sweep_expired()
    assert store.get_task(tid)["status"] == "error"
    assert judge(store, slow, code="def add(a, b):\n    return a + b\n",
                 archive_dir=tmp_path / "arch")["task_status"] == "passed"
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"], t["error"]) == ("passed", 1, 0, None)
    assert (tmp_path / "arch" / "math" / f"{tid}.py").exists()


def test_verdicts_on_finished_tasks_are_not_recorded(store):
    tid = store.add_task(task(1))
    lease = store.lease("b1", 60)
    store.cancel_task(tid)
    reply = judge(store, lease)
    assert reply == {"id": None, "recorded": False, "task_status": "cancelled", "reason": "the task is already cancelled"}
    assert store.db["scores"].count == 0


@pytest.mark.parametrize("status, scored, maximum, expected", [
    ("leased", 0, 1, None), ("queued", 2, 3, None), ("error", 0, 1, None),
    ("passed", 0, 3, "the task is already passed"), ("failed", 1, 3, "the task is already failed"),
    ("cancelled", 0, 3, "the task is already cancelled"),
    ("leased", 3, 3, "the task already has its 3 scored attempt(s)"),
])
def test_refuse_verdict(status, scored, maximum, expected):
    assert refuse_verdict(status, scored, maximum) == expected


@pytest.mark.parametrize("status, passed, scored, maximum, holds, expected", [
    ("leased", True, 1, 1, True, "passed"), ("queued", True, 1, 3, False, "passed"),
    ("error", True, 1, 3, False, "passed"), ("leased", False, 1, 1, True, "failed"),
    ("leased", False, 3, 3, False, "failed"), ("leased", False, 1, 3, True, "queued"),
    ("leased", False, 1, 3, False, "leased"), ("queued", False, 1, 3, False, "queued"),
    ("error", False, 1, 3, False, "error"),
])
def test_after_verdict(status, passed, scored, maximum, holds, expected):
    assert after_verdict(status, passed, scored, maximum, holds) == expected


def test_after_loss():
    assert [after_loss(n, 3) for n in (1, 2, 3, 4)] == ["queued", "queued", "error", "error"]
