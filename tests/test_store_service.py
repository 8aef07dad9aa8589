"""The memory op table over a Store: replies shaped as the entries say, archive on a passing
score; and the write path without a daemon, which checks each op's entry as the router would
(private task data for the scorer only, the body's shape) before it writes."""

from __future__ import annotations

import pytest

from actors.protocol import OPS
from ops.commands._write import memory_op
from ops.context import Context
from ops.ground.errors import UsageError
from ops.ground.home import Home
from store import StoreError, TaskNotFound
from store.service import HANDLERS, handle
from tests.storehelp import clock, store, task  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit


def test_every_memory_op_of_the_protocol_has_a_handler():
    memory_ops = {name for name, op in OPS.items() if op.to == "memory"}
    assert memory_ops == set(HANDLERS)


def test_task_round_trip_through_ops(store):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "builder-1", "ttl_s": 60})["lease"]
    assert lease["task"]["id"] == tid and "hidden_tests" not in lease["task"]
    assert handle(store, "task.renew", {"lease_id": lease["lease_id"], "ttl_s": 60}) == {"ok": True}
    verdict = {"score": {"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True},
               "lease_id": lease["lease_id"], "code": "def add(a, b):\n    return a + b\n"}
    reply = handle(store, "score.record", verdict, sender="scorer")
    assert reply == {"id": reply["id"], "recorded": True, "task_status": "passed"}
    # the builder's completion after its verdict is a no-op
    assert handle(store, "task.complete", {"lease_id": lease["lease_id"], "attempt_id": lease["attempt_id"],
                                           "outcome": "failed"}) == {"task_status": "passed"}
    assert handle(store, "queue.stats", {})["stats"]["passed"] == 1
    assert handle(store, "task.lease", {"builder": "builder-1", "ttl_s": 60}) == {"lease": None}
    assert [t["id"] for t in handle(store, "task.list", {"status": "passed"})["tasks"]] == [tid]
    assert handle(store, "task.show", {"id": tid})["task"]["status"] == "passed"


def test_private_task_for_the_scorer(store):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    full = handle(store, "task.private", {"id": tid}, sender="scorer")["task"]
    assert full["hidden_tests"] == "assert candidate(2, 2) == 4\n" and full["reference"]
    with pytest.raises(TaskNotFound):
        handle(store, "task.private", {"id": "nope"}, sender="scorer")


@pytest.mark.parametrize("attempt_recorded", [True, False])
def test_a_passing_verdict_archives_its_code_in_the_same_step(store, tmp_path, attempt_recorded):
    """The scorer's score.record carries the code: the archive needs no attempt record (the
    builder may be dead before it sends one, or its record may arrive later)."""
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "b", "ttl_s": 60})["lease"]
    if attempt_recorded:
        handle(store, "attempt.record", {"attempt": {"id": lease["attempt_id"], "task_id": tid, "status": "passed",
                                                     "code": "CODE = 1\n"}}, sender="b")
    score = {"score": {"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True},
             "lease_id": lease["lease_id"], "code": "CODE = 1\n"}
    assert handle(store, "score.record", score, sender="scorer", archive_dir=tmp_path / "arch")["recorded"]
    assert (tmp_path / "arch" / "math" / f"{tid}.py").read_text() == "CODE = 1\n"
    assert store.get_task(tid)["status"] == "passed"
    example = handle(store, "archive.similar", {"skill": "math", "difficulty": 3})["example"]
    assert example["task_id"] == tid and example["code"] == "CODE = 1\n"


def test_release_reason_and_event_record_through_ops(store):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "b", "ttl_s": 60})["lease"]
    assert handle(store, "task.release", {"lease_id": lease["lease_id"], "reason": "boom"}) == {"ok": True}
    assert store.get_task(tid)["lost"] == 1
    events = [{"id": "e1", "ts": "2027-01-01T00:00:00.000000Z", "kind": "child.crash", "actor": "builder-1",
               "body": {"pid": 42}}, {"id": "e2", "kind": "x"}]
    reply = handle(store, "event.record", {"events": events}, sender="supervisor")
    assert reply == {"ids": ["e1"], "errors": ["#2: ts: required, a string of 1 to 128 characters"]}
    assert handle(store, "event.record", {"events": events[:1]}, sender="supervisor")["ids"] == ["e1"]  # again: once
    assert store.db["events"].get("e1")["actor"] == "builder-1"
    assert store.one("SELECT count(*) AS n FROM events WHERE kind = 'child.crash'") == {"n": 1}


def test_failing_score_archives_nothing(store, tmp_path):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "b", "ttl_s": 60})["lease"]
    handle(store, "attempt.record", {"attempt": {"id": lease["attempt_id"], "task_id": tid, "status": "failed",
                                                 "code": "x = 1"}}, archive_dir=tmp_path)
    handle(store, "score.record", {"score": {"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.1,
                                             "passed": False}, "code": "x = 1"}, archive_dir=tmp_path)
    assert list(tmp_path.rglob("*.py")) == []


def test_lessons_profile_scores_events(store):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    handle(store, "reflection.record", {"reflection": {"task_id": tid, "lesson": "mind the sign"}})
    assert [l["text"] for l in handle(store, "lesson.top", {"skill": "math"})["lessons"]] == ["mind the sign"]
    handle(store, "profile.snapshot", {"profile": {"level": 3}})
    assert handle(store, "profile.latest", {}) == {"profile": {"level": 3}}
    assert handle(store, "scores.recent", {}) == {"scores": []}
    eid = handle(store, "event.log", {"kind": "crash", "body": {"code": 1}}, sender="builder-2")["id"]
    assert store.db["events"].get(eid)["actor"] == "builder-2"


@pytest.fixture
def direct(tmp_path, monkeypatch):
    """The CLI's write path with no daemon running at HOME."""
    monkeypatch.setattr("ops.client.daemon_running", lambda home: False)
    home = Home(tmp_path / "home").ensure()
    return Context(home)


@pytest.mark.parametrize("op, body, expected", [
    ("task.add", {}, "task.add: missing field 'task'"),
    ("task.add", {"task": "x"}, "task.add: field 'task' must be map"),
    ("task.lease", {"builder": "b", "ttl_s": "soon"}, "task.lease: field 'ttl_s' must be float"),
    ("task.lease", {"builder": "b", "ttl_s": True}, "task.lease: field 'ttl_s' must be float"),
    ("task.cancel", {}, "task.cancel: missing field 'id'"),
    ("task.add_many", {"tasks": {}}, "task.add_many: field 'tasks' must be list"),
    ("task.list", {"limit": "3"}, "task.list: field 'limit' must be int"),
    ("no.such.op", {}, "unknown op 'no.such.op'"),
    ("task.list", ["not", "a", "map"], "task.list: body must be a map"),
    ("task.private", {"id": "t"}, "task.private: refused to cli; only scorer may send it"),
    ("score.record", {"score": {}}, "score.record: refused to cli; only scorer may send it"),
    ("event.record", {"events": []}, "event.record: refused to cli; only supervisor may send it"),
])
def test_bad_requests_without_a_daemon_are_one_line_errors_and_write_nothing(direct, op, body, expected):
    with pytest.raises(UsageError) as err:
        memory_op(direct, op, body)
    assert str(err.value) == expected
    assert not (direct.home.root / "history.db").exists()


def test_the_write_path_without_a_daemon_writes_through_the_same_table(direct):
    tid = memory_op(direct, "task.add", {"task": task(1)})["id"]
    assert memory_op(direct, "task.show", {"id": tid})["task"]["title"] == task(1)["title"]


def test_an_op_the_table_does_not_have_is_a_store_error(store):
    with pytest.raises(StoreError, match="unknown memory op 'x.y'"):
        handle(store, "x.y", {})
