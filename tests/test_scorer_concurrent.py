"""The Scorer grades several requests at once: a slow grade does not hold a quick one, each
reply carries its own score, and the trend book is fed in recording order. In-process, with a
recording bus and a grade that waits on an Event (no timing: the order is forced).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from actors.runtime import ActorContext, ActorError, RemoteError
from actors.scorer import actor as scorer_actor
from ops.ground.config import Config

pytestmark = pytest.mark.unit

TASKS = {tid: {"id": tid, "skill": "math", "difficulty": 2, "source": "user", "entry_point": "f",
               "hidden_tests": "assert candidate(1) == 1\n"} for tid in ("slow", "quick")}


class FakeBus:
    def __init__(self) -> None:
        self.recorded: list[str] = []
        self.told: list[str] = []
        self.verdicts: list[dict] = []  # the score.record bodies
        self.refuse = ""  # a reason Memory gives for not recording a verdict
        self.lock = threading.Lock()

    def ask(self, to: str, op: str, body: dict, timeout: float = 30.0) -> dict:
        if op == "task.private":
            if body["id"] not in TASKS:
                raise RemoteError("bad_request", f"no task with id {body['id']!r}")
            return {"task": TASKS[body["id"]]}
        if op == "scores.recent":
            return {"scores": []}
        if op == "score.record":
            with self.lock:
                self.verdicts.append(body)
                if self.refuse:
                    return {"id": None, "recorded": False, "task_status": "passed", "reason": self.refuse}
                self.recorded.append(body["score"]["attempt_id"])
            return {"id": body["score"]["id"], "recorded": True, "task_status": "queued"}
        raise AssertionError(op)

    def tell(self, to: str, op: str, body: dict) -> None:
        self.told.append(body["score"]["attempt_id"])

    def publish(self, topic: str, body: dict) -> None:
        pass


@pytest.fixture
def scorer(monkeypatch):
    release = threading.Event()
    entered = threading.Event()

    def fake_grade(task: dict, code: str, **kw: Any) -> dict:
        if task["id"] == "slow":
            entered.set()
            assert release.wait(30), "the test never released the slow grade"
        total = 1.0 if task["id"] == "quick" else 0.5
        return {"correctness": total, "robustness": total, "efficiency": total, "elegance": total,
                "total": total, "passed": task["id"] == "quick", "details": {}}

    monkeypatch.setattr(scorer_actor, "grade", fake_grade)
    bus = FakeBus()
    actor = scorer_actor.ScorerActor(ActorContext("scorer", "scorer", Path("."), Config(), bus))  # type: ignore[arg-type]
    yield actor, bus, release, entered
    release.set()
    actor._graders.shutdown(wait=True)


def request(actor: Any, task_id: str, attempt_id: str):
    body = {"attempt_id": attempt_id, "task_id": task_id, "code": "def f(x):\n    return x\n", "builder": "b"}
    return actor.on_score_request(body, {"from": "builder-1"})


def test_a_quick_grade_is_answered_while_a_slow_one_is_still_running(scorer):
    actor, bus, release, entered = scorer
    assert scorer_actor.GRADERS >= 2
    slow = request(actor, "slow", "a-slow")
    assert entered.wait(10)
    quick = request(actor, "quick", "a-quick")
    assert quick.result(timeout=10)["score"]["passed"] is True  # the slow one still holds its grader
    assert not slow.done() and bus.recorded == ["a-quick"]
    release.set()
    assert slow.result(timeout=10)["score"]["total"] == 0.5
    assert bus.recorded == ["a-quick", "a-slow"] and bus.told == ["a-quick", "a-slow"]
    # the trend of a later score sees both, in recording order
    assert actor.trends.trend("math", "next", 0.0) == pytest.approx(-0.5)


def test_an_unknown_task_fails_its_future_with_memorys_code(scorer):
    actor, bus, _, _ = scorer
    fut = request(actor, "missing", "a-x")
    with pytest.raises(ActorError) as err:
        fut.result(timeout=10)
    assert err.value.code == "bad_request" and "missing" in err.value.message
    assert bus.recorded == []


def test_the_verdict_carries_lease_and_code_and_one_not_recorded_is_not_told(scorer):
    actor, bus, _, _ = scorer
    body = {"attempt_id": "a-1", "task_id": "quick", "code": "CODE", "builder": "b", "lease_id": "L1"}
    reply = actor.on_score_request(body, {"from": "builder-1"}).result(timeout=10)
    assert (reply["recorded"], reply["task_status"]) == (True, "queued")
    assert {k: bus.verdicts[0][k] for k in ("lease_id", "code")} == {"lease_id": "L1", "code": "CODE"}
    bus.refuse = "the task is already passed"
    late = actor.on_score_request({**body, "attempt_id": "a-2"}, {"from": "builder-1"}).result(timeout=10)
    assert (late["recorded"], late["task_status"]) == (False, "passed")
    assert bus.told == ["a-1"]  # the trainer hears only of recorded verdicts
