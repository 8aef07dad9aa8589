"""The memory op table over a Store: replies shaped as protocol.py says, Memory's own rules
(private task data for the scorer only, archive on a passing score), bad bodies."""

from __future__ import annotations

import pytest

from actors.protocol import OPS
from store import Forbidden, StoreError, TaskNotFound
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
    reply = handle(store, "task.complete", {"lease_id": lease["lease_id"], "attempt_id": lease["attempt_id"],
                                            "outcome": "passed"})
    assert reply == {"task_status": "passed"}
    assert handle(store, "queue.stats", {})["stats"]["passed"] == 1
    assert handle(store, "task.lease", {"builder": "builder-1", "ttl_s": 60}) == {"lease": None}
    assert [t["id"] for t in handle(store, "task.list", {"status": "passed"})["tasks"]] == [tid]
    assert handle(store, "task.show", {"id": tid})["task"]["status"] == "passed"


def test_private_task_only_for_the_scorer(store):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    full = handle(store, "task.private", {"id": tid}, sender="scorer")["task"]
    assert full["hidden_tests"] == "assert candidate(2, 2) == 4\n" and full["reference"]
    for sender in ("builder-1", "trainer", "cli"):
        with pytest.raises(Forbidden, match="only the scorer may read hidden tests"):
            handle(store, "task.private", {"id": tid}, sender=sender)
    with pytest.raises(TaskNotFound):
        handle(store, "task.private", {"id": "nope"}, sender="scorer")


@pytest.mark.parametrize("score_first", [True, False])
def test_passing_solution_is_archived_whichever_record_comes_last(store, tmp_path, score_first):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "b", "ttl_s": 60})["lease"]
    attempt = {"attempt": {"id": lease["attempt_id"], "task_id": tid, "status": "passed", "code": "CODE = 1\n"}}
    score = {"score": {"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True}}
    steps = [("score.record", score, "scorer"), ("attempt.record", attempt, "b")]
    for op, body, sender in (steps if score_first else steps[::-1]):
        handle(store, op, body, sender=sender, archive_dir=tmp_path / "arch")
    assert (tmp_path / "arch" / "math" / f"{tid}.py").read_text() == "CODE = 1\n"
    example = handle(store, "archive.similar", {"skill": "math", "difficulty": 3})["example"]
    assert example["task_id"] == tid


def test_failing_score_archives_nothing(store, tmp_path):
    tid = handle(store, "task.add", {"task": task(1)})["id"]
    lease = handle(store, "task.lease", {"builder": "b", "ttl_s": 60})["lease"]
    handle(store, "attempt.record", {"attempt": {"id": lease["attempt_id"], "task_id": tid, "status": "failed",
                                                 "code": "x = 1"}}, archive_dir=tmp_path)
    handle(store, "score.record", {"score": {"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.1,
                                             "passed": False}}, archive_dir=tmp_path)
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


@pytest.mark.parametrize("op, body, expected", [
    ("task.add", {}, "body.task: required, expected dict"),
    ("task.add", {"task": "x"}, "body.task: required, expected dict"),
    ("task.lease", {"builder": "b", "ttl_s": "soon"}, "body.ttl_s: required, expected int or float"),
    ("task.lease", {"builder": "b", "ttl_s": True}, "body.ttl_s: required, expected int or float"),
    ("task.cancel", {}, "body.id: required, expected str"),
    ("task.add_many", {"tasks": {}}, "body.tasks: required, expected list"),
    ("no.such.op", {}, "unknown memory op 'no.such.op'"),
    ("task.list", ["not", "a", "map"], "task.list: body must be a map"),
])
def test_bad_bodies_are_one_line_store_errors(store, op, body, expected):
    with pytest.raises(StoreError) as err:
        handle(store, op, body)
    assert str(err.value) == expected
    assert store.queue_stats()["total"] == 0
