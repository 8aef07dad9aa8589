"""The queue: order, leases, expiry, idempotent completion, max attempts, and exclusivity
across real processes."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from store import Store, StoreError, TaskNotFound, TaskStateError
from tests.storehelp import clock, judge, open_store, store, task  # noqa: F401 (fixtures)


def add(store, clock, n, **kw):
    clock.tick()  # distinct ages
    return store.add_task(task(n, **kw))


@pytest.mark.unit
def test_order_user_first_then_priority_then_age(store, clock):
    t_old = add(store, clock, 1, source="trainer", priority=9)
    u_low = add(store, clock, 2, source="user", priority=0)
    h_hi = add(store, clock, 3, source="humaneval", priority=5)
    u_hi_young = add(store, clock, 4, source="user", priority=5)
    l_mid = add(store, clock, 5, source="llm", priority=9)
    order = [store.lease("b", 60)["task"]["id"] for _ in range(5)]
    assert order == [h_hi, u_hi_young, u_low, t_old, l_mid]
    assert store.lease("b", 60) is None


@pytest.mark.unit
def test_queue_view_matches_lease_order(store, clock):
    ids = [add(store, clock, 1, source="trainer"), add(store, clock, 2, priority=1), add(store, clock, 3)]
    assert [r["id"] for r in store.history("queue")] == [ids[1], ids[2], ids[0]]


@pytest.mark.unit
def test_lease_hands_out_only_the_public_view(store, clock):
    add(store, clock, 1)
    lease = store.lease("builder-1", 30)
    assert set(lease) == {"lease_id", "attempt_id", "attempt_no", "expires_at", "task"}
    assert "hidden_tests" not in lease["task"] and "reference" not in lease["task"]
    assert "edge_tests" not in lease["task"] and lease["attempt_no"] == 1
    assert lease["expires_at"] == "2027-01-15T08:00:30.001000Z"
    row = store.get_task(lease["task"]["id"])
    # `attempts` counts verdicts: a lease alone is none yet
    assert (row["status"], row["leased_by"], row["attempts"], row["lost"]) == ("leased", "builder-1", 0, 0)


@pytest.mark.unit
def test_expired_lease_goes_back_to_the_queue_as_lost_work(store, clock):
    tid = add(store, clock, 1)
    first = store.lease("b1", 10)
    assert store.lease("b2", 10) is None
    clock.tick(11)
    second = store.lease("b2", 10)
    assert second["task"]["id"] == tid and second["attempt_no"] == 2  # the lease's number, not a verdict's
    assert store.renew(first["lease_id"], 10) is False
    assert store.renew(second["lease_id"], 10) is True
    rows = {r["attempt_no"]: (r["status"], r["lost"]) for r in store.db["attempts"].rows}
    assert rows == {1: ("expired", "lease expired"), 2: ("running", None)}
    t = store.get_task(tid)
    assert (t["attempts"], t["lost"]) == (0, 1)
    [event] = store.rows("SELECT kind, actor, body FROM events")
    assert (event["kind"], event["actor"]) == ("lease.expired", "memory") and tid in event["body"]


@pytest.mark.unit
def test_lost_work_ends_the_task_as_error_at_max_lost_never_failed(tmp_path, clock):
    store = open_store(tmp_path / "h.db", clock, max_lost=2)
    tid = store.add_task(task(1, max_attempts=1))
    store.lease("b1", 5)
    clock.tick(6)
    assert store.sweep_expired() == 1
    assert store.get_task(tid)["status"] == "queued"
    store.lease("b1", 5)
    clock.tick(6)
    assert store.sweep_expired() == 1
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("error", 0, 2)
    assert t["error"] == "2 attempt(s) lost without a verdict; the last: lease expired"
    assert store.lease("b1", 5) is None
    assert store.one("SELECT kind FROM events WHERE kind = 'task.error'")


@pytest.mark.unit
def test_a_verdict_is_recorded_once_by_attempt_id(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    first = judge(store, lease, passed=False)
    assert first["recorded"] and first["task_status"] == "queued"
    # The same verdict again (a retried message) changes nothing, whatever it says.
    again = judge(store, lease, passed=True)
    assert again == {"id": first["id"], "recorded": True, "task_status": "queued"}
    assert store.get_task(tid)["attempts"] == 1 and store.db["scores"].count == 1
    lease2 = store.lease("b1", 60)
    assert judge(store, lease2)["task_status"] == "passed"
    assert store.db["attempts"].count == 2
    outcomes = {r["attempt_no"]: (r["outcome"], bool(r["completed_at"])) for r in store.db["attempts"].rows}
    assert outcomes == {1: ("failed", True), 2: ("passed", True)}


@pytest.mark.unit
def test_failed_verdicts_up_to_max_attempts_mark_failed(store):
    tid = store.add_task(task(1, max_attempts=3))
    results = []
    for _ in range(3):
        results.append(judge(store, store.lease("b1", 60), passed=False)["task_status"])
    assert results == ["queued", "queued", "failed"]
    assert store.get_task(tid)["status"] == "failed" and store.lease("b1", 60) is None


def _expired_and_leased_again(store, clock):
    """A task whose lease by b1 expired and which b2 then leased: (task id, old lease, new lease)."""
    tid = add(store, clock, 1)
    old = store.lease("b1", 5)
    clock.tick(6)
    return tid, old, store.lease("b2", 5)


@pytest.mark.unit
def test_late_pass_after_expiry_is_not_lost(store, clock):
    tid, old, new = _expired_and_leased_again(store, clock)
    assert judge(store, old)["task_status"] == "passed"
    t = store.get_task(tid)
    assert (t["status"], t["leased_by"], t["lost"]) == ("passed", None, 0)  # judged after all: not lost
    # The second builder's later verdict is not recorded: the task is over.
    assert judge(store, new, passed=False) == {"id": None, "recorded": False, "task_status": "passed",
                                               "reason": "the task is already passed"}
    assert store.renew(new["lease_id"], 5) is False


@pytest.mark.unit
def test_late_failure_leaves_a_newer_lease_alone(store, clock):
    tid, old, new = _expired_and_leased_again(store, clock)
    assert judge(store, old, passed=False)["task_status"] == "leased"
    assert store.get_task(tid)["leased_by"] == "b2" and store.get_task(tid)["attempts"] == 1
    assert judge(store, new)["task_status"] == "passed"


@pytest.mark.unit
def test_release_gives_the_task_back_uncounted(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    assert store.release(lease["lease_id"]) is True
    assert store.release(lease["lease_id"]) is False
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("queued", 0, 0)
    assert store.lease("b1", 60)["attempt_no"] == 2
    assert store.db["events"].count == 0


@pytest.mark.unit
def test_release_with_a_reason_is_lost_work_and_an_event(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    assert store.release(lease["lease_id"], "builder-1: RemoteError: timeout") is True
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("queued", 0, 1)
    [event] = store.rows("SELECT kind, actor, body FROM events")
    assert (event["kind"], event["actor"]) == ("attempt.error", "b1")
    assert json.loads(event["body"])["reason"] == "builder-1: RemoteError: timeout"


@pytest.mark.unit
def test_complete_is_a_no_op_for_a_scored_attempt_and_gives_up_an_unscored_one(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    judge(store, lease, passed=False)
    assert store.complete(lease["lease_id"], lease["attempt_id"], "passed") == "queued"
    assert store.get_task(tid)["lost"] == 0
    lease2 = store.lease("b1", 60)
    assert store.complete(lease2["lease_id"], lease2["attempt_id"], "passed") == "queued"  # no verdict: no pass
    t = store.get_task(tid)
    assert (t["status"], t["attempts"], t["lost"]) == ("queued", 1, 1)


@pytest.mark.unit
def test_complete_rejects_bad_input_and_changes_nothing(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    with pytest.raises(StoreError, match="outcome must be one of passed, failed"):
        store.complete(lease["lease_id"], lease["attempt_id"], "great")
    with pytest.raises(StoreError, match="unknown attempt"):
        store.complete(lease["lease_id"], "nope", "passed")
    with pytest.raises(StoreError, match="does not belong to lease"):
        store.complete("other-lease", lease["attempt_id"], "passed")
    with pytest.raises(StoreError, match="ttl_s positive"):
        store.lease("b1", 0)
    assert store.get_task(tid)["status"] == "leased"


@pytest.mark.unit
def test_cancel(store, clock):
    tid = add(store, clock, 1)
    assert store.cancel_task(tid) == "cancelled"
    assert store.cancel_task(tid) == "cancelled"
    assert store.lease("b1", 60) is None
    with pytest.raises(TaskNotFound):
        store.cancel_task("missing")
    done = add(store, clock, 2)
    judge(store, store.lease("b1", 60))
    with pytest.raises(TaskStateError, match="already passed"):
        store.cancel_task(done)


@pytest.mark.unit
def test_queue_stats(store, clock):
    add(store, clock, 1)
    add(store, clock, 2, source="trainer")
    store.lease("b", 60)
    assert store.queue_stats() == {"queued": 1, "leased": 1, "passed": 0, "failed": 0, "error": 0, "cancelled": 0,
                                   "total": 2}
    assert store.queue_stats(source="trainer")["queued"] == 1


# --- real processes -------------------------------------------------------------------------

def _lease_all(path: str, name: str, start, out) -> None:
    """Child process: lease until the queue is empty, completing each task."""
    s = Store.open(path, busy_timeout_s=30)
    start.wait()
    got = []
    while (lease := s.lease(name, 60)) is not None:
        got.append(lease["task"]["id"])
        judge(s, lease)
    s.close()
    out.put((name, got))


@pytest.mark.process
def test_lease_exclusivity_across_processes(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as s:
        ids, errors = s.add_tasks([task(n) for n in range(80)])
    assert not errors
    ctx = multiprocessing.get_context("fork")  # the parent holds no open connection now
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_lease_all, args=(str(path), f"builder-{i}", start, out)) for i in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    leased = [tid for got in results.values() for tid in got]
    assert sorted(leased) == sorted(ids)  # every task once: no duplicates, none lost
    assert len(set(leased)) == len(leased) == 80
    with Store.open(path) as s:
        assert s.queue_stats()["passed"] == 80
        assert s.db["attempts"].count == 80


@pytest.mark.unit
def test_a_restarted_builder_reclaims_its_stale_lease_as_lost_work(store):
    tid = store.add_task(task(1))
    other = store.add_task(task(2))
    stale = store.lease("b1", 900)  # the process holding it was killed -9
    held = store.lease("b2", 900)
    assert {stale["task"]["id"], held["task"]["id"]} == {tid, other}
    again = store.lease("b1", 900, reclaim=True)  # its restart: the stale lease goes back first
    assert again["task"]["id"] == stale["task"]["id"] and again["attempt_no"] == 2
    first = store.one("SELECT status, lost FROM attempts WHERE id = ?", [stale["attempt_id"]])
    assert first == {"status": "expired", "lost": "builder restarted (lease reclaimed)"}
    assert store.get_task(stale["task"]["id"])["lost"] == 1  # lost work, not a verdict
    assert store.get_task(held["task"]["id"])["status"] == "leased"  # b2's lease is untouched
    assert store.one("SELECT kind FROM events WHERE kind = 'lease.reclaimed' AND actor = 'b1'")
    # without reclaim, a second lease by the same name keeps the first (the plain API)
    assert store.lease("b2", 900) is None and store.get_task(held["task"]["id"])["leased_by"] == "b2"
