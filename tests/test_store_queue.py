"""The queue: order, leases, expiry, idempotent completion, max attempts, and exclusivity
across real processes."""

from __future__ import annotations

import multiprocessing

import pytest

from store import Store, StoreError, TaskNotFound, TaskStateError
from tests.storehelp import clock, store, task  # noqa: F401 (fixtures)


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
    assert (row["status"], row["leased_by"], row["attempts"]) == ("leased", "builder-1", 1)


@pytest.mark.unit
def test_expired_lease_goes_back_to_the_queue(store, clock):
    tid = add(store, clock, 1)
    first = store.lease("b1", 10)
    assert store.lease("b2", 10) is None
    clock.tick(11)
    second = store.lease("b2", 10)
    assert second["task"]["id"] == tid and second["attempt_no"] == 2
    assert store.renew(first["lease_id"], 10) is False
    assert store.renew(second["lease_id"], 10) is True
    statuses = {r["attempt_no"]: r["status"] for r in store.db["attempts"].rows}
    assert statuses == {1: "expired", 2: "running"}


@pytest.mark.unit
def test_sweep_reclaims_and_max_attempts_fails_the_task(store, clock):
    tid = store.add_task(task(1, max_attempts=2))
    store.lease("b1", 5)
    clock.tick(6)
    assert store.sweep_expired() == 1
    assert store.get_task(tid)["status"] == "queued"
    store.lease("b1", 5)
    clock.tick(6)
    assert store.sweep_expired() == 1
    assert store.get_task(tid)["status"] == "failed"
    assert store.lease("b1", 5) is None


@pytest.mark.unit
def test_completion_is_idempotent_by_attempt_id(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    assert store.complete(lease["lease_id"], lease["attempt_id"], "failed") == "queued"
    # The same completion again (a retried message) changes nothing, whatever it says.
    assert store.complete(lease["lease_id"], lease["attempt_id"], "failed") == "queued"
    assert store.complete(lease["lease_id"], lease["attempt_id"], "passed") == "queued"
    assert store.get_task(tid)["attempts"] == 1
    lease2 = store.lease("b1", 60)
    assert store.complete(lease2["lease_id"], lease2["attempt_id"], "passed") == "passed"
    assert store.complete(lease2["lease_id"], lease2["attempt_id"], "passed") == "passed"
    assert store.db["attempts"].count == 2


@pytest.mark.unit
def test_failures_up_to_max_attempts_mark_failed(store):
    tid = store.add_task(task(1, max_attempts=3))
    results = []
    for _ in range(3):
        lease = store.lease("b1", 60)
        results.append(store.complete(lease["lease_id"], lease["attempt_id"], "failed"))
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
    assert store.complete(old["lease_id"], old["attempt_id"], "passed") == "passed"
    assert store.get_task(tid)["status"] == "passed"
    # The second builder's later failure does not undo the pass.
    assert store.complete(new["lease_id"], new["attempt_id"], "failed") == "passed"


@pytest.mark.unit
def test_late_failure_leaves_a_newer_lease_alone(store, clock):
    tid, old, new = _expired_and_leased_again(store, clock)
    assert store.complete(old["lease_id"], old["attempt_id"], "failed") == "leased"
    assert store.get_task(tid)["leased_by"] == "b2"
    assert store.complete(new["lease_id"], new["attempt_id"], "passed") == "passed"


@pytest.mark.unit
def test_release_gives_the_task_back_uncounted(store, clock):
    tid = add(store, clock, 1)
    lease = store.lease("b1", 60)
    assert store.release(lease["lease_id"]) is True
    assert store.release(lease["lease_id"]) is False
    t = store.get_task(tid)
    assert (t["status"], t["attempts"]) == ("queued", 0)
    assert store.lease("b1", 60)["attempt_no"] == 1


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
    lease = store.lease("b1", 60)
    store.complete(lease["lease_id"], lease["attempt_id"], "passed")
    with pytest.raises(TaskStateError, match="already passed"):
        store.cancel_task(done)


@pytest.mark.unit
def test_queue_stats(store, clock):
    add(store, clock, 1)
    add(store, clock, 2, source="trainer")
    store.lease("b", 60)
    assert store.queue_stats() == {"queued": 1, "leased": 1, "passed": 0, "failed": 0, "cancelled": 0, "total": 2}
    assert store.queue_stats(source="trainer")["queued"] == 1


# --- real processes -------------------------------------------------------------------------

def _lease_all(path: str, name: str, start, out) -> None:
    """Child process: lease until the queue is empty, completing each task."""
    s = Store.open(path, busy_timeout_s=30)
    start.wait()
    got = []
    while (lease := s.lease(name, 60)) is not None:
        got.append(lease["task"]["id"])
        s.complete(lease["lease_id"], lease["attempt_id"], "passed")
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
def test_a_restarted_builder_reclaims_its_stale_lease_counted_like_an_expiry(store):
    tid = store.add_task(task(1))
    other = store.add_task(task(2))
    stale = store.lease("b1", 900)  # the process holding it was killed -9
    held = store.lease("b2", 900)
    assert {stale["task"]["id"], held["task"]["id"]} == {tid, other}
    again = store.lease("b1", 900, reclaim=True)  # its restart: the stale lease goes back first
    assert again["task"]["id"] == stale["task"]["id"] and again["attempt_no"] == 2  # the killed attempt counts
    first = store.one("SELECT status FROM attempts WHERE id = ?", [stale["attempt_id"]])
    assert first["status"] == "expired"
    assert store.get_task(held["task"]["id"])["status"] == "leased"  # b2's lease is untouched
    assert store.one("SELECT kind FROM events WHERE kind = 'lease.reclaimed' AND actor = 'b1'")
    # without reclaim, a second lease by the same name keeps the first (the plain API)
    assert store.lease("b2", 900) is None and store.get_task(held["task"]["id"])["leased_by"] == "b2"
