"""The Scorer under load (issue 17): several grades at once, their efficiency races no longer
serialised, still rank a slow candidate below a fast one while another process hogs the CPU;
and the reference is timed once per task, then its figures are reused.

The Scorer actor in-process on a recording bus (as tests/test_scorer_concurrent.py), grading
in the real sandbox. The slow candidate does exactly 20 times the fast one's work per call.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import sandbox

from actors.scorer import actor as scorer_actor
from actors.runtime import ActorContext
from ops.ground.config import Config

pytestmark = pytest.mark.process

# A call's cost includes decoding its arguments (docs/sandbox.md), so the race input is one int:
# the work is the function's own, and the slow candidate does it 20 times.
FAST = "def squares(n):\n    return sum(i * i for i in range(n))\n"
SLOW = "def squares(n):\n    for _ in range(20):\n        t = sum(i * i for i in range(n))\n    return t\n"
TASK = {"id": "sum", "skill": "math", "difficulty": 2, "source": "user", "entry_point": "squares",
        "hidden_tests": "assert candidate(3) == 5\nassert candidate(0) == 0\n",
        "edge_tests": "assert candidate(1) == 0\n", "reference": FAST,
        "constraints": {"time_limit_s": 5.0, "memory_mb": 256},
        "meta": {"efficiency": {"setup": "args = (100000,)", "call": "candidate(*args)"}}}


class Bus:
    """Memory and the trainer as the Scorer sees them: the task, and every verdict kept."""

    def __init__(self) -> None:
        self.verdicts: dict[str, dict] = {}
        self.lock = threading.Lock()

    def ask(self, to: str, op: str, body: dict, timeout: float = 30.0) -> dict:
        if op == "task.private":
            return {"task": dict(TASK)}
        if op == "scores.recent":
            return {"scores": []}
        if op == "score.record":
            with self.lock:
                self.verdicts[body["score"]["attempt_id"]] = body["score"]
            return {"id": body["score"]["id"], "recorded": True, "task_status": "queued"}
        raise AssertionError(op)

    def tell(self, to: str, op: str, body: dict) -> None:
        pass

    def publish(self, topic: str, body: dict) -> None:
        pass


@pytest.fixture
def scorer():
    bus = Bus()
    actor = scorer_actor.ScorerActor(ActorContext("scorer", "scorer", Path("."), Config(), bus))  # type: ignore[arg-type]
    yield actor, bus
    actor._graders.shutdown(wait=True)


def _request(actor, attempt: str, code: str):
    return actor.on_score_request({"attempt_id": attempt, "task_id": "sum", "code": code, "builder": "b"},
                                  {"from": "builder-1"})


def test_concurrent_grades_rank_slow_below_fast_while_the_cpu_is_hogged(scorer, monkeypatch):
    actor, bus = scorer
    races: list[tuple[float, float]] = []  # the sandbox runs that time a candidate, as the pool sees them
    real_request = sandbox.Pool.request

    def timed_request(self, req, timeout):
        start = time.monotonic()
        try:
            return real_request(self, req, timeout)
        finally:
            if req.get("kind") == "race" or req.get("race"):  # a race alone, or a grade's suite with one
                races.append((start, time.monotonic()))
    monkeypatch.setattr(sandbox.Pool, "request", timed_request)
    assert scorer_actor.GRADERS >= 2
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        jobs = {name: _request(actor, name, FAST if name.startswith("fast") else SLOW)
                for name in ("fast-1", "slow-1", "fast-2", "slow-2")}
        scores = {name: job.result(timeout=240)["score"] for name, job in jobs.items()}
    finally:
        hog.kill()
        hog.wait()
    assert all(s["passed"] for s in scores.values()), scores
    in_flight = max(sum(1 for s, e in races if s <= t < e) for t, _ in races)
    assert in_flight >= 2, races  # races of different grades really ran at once (not one at a time)
    eff = {name: s["details"]["candidate_eff"] for name, s in scores.items()}
    assert all(e["ok"] for e in eff.values()), eff
    for fast in ("fast-1", "fast-2"):
        for slow in ("slow-1", "slow-2"):
            assert scores[slow]["efficiency"] < scores[fast]["efficiency"], (scores[fast], scores[slow])
            assert eff[slow]["time_s"] > 5 * eff[fast]["time_s"], (eff[fast], eff[slow])


def test_the_reference_is_timed_once_per_task_and_reused(scorer, monkeypatch):
    actor, bus = scorer
    reference_raced: list[bool] = []  # per sandbox run: did it time the reference?
    real_request = sandbox.Pool.request

    def counting_request(self, req, timeout):
        if req.get("race"):
            reference_raced.append(not req["race"].get("figures"))  # figures given: the reference's, kept
        return real_request(self, req, timeout)
    monkeypatch.setattr(sandbox.Pool, "request", counting_request)
    first = _request(actor, "a-1", FAST).result(timeout=120)["score"]
    second = _request(actor, "a-2", SLOW).result(timeout=120)["score"]
    ref1, ref2 = first["details"]["reference_eff"], second["details"]["reference_eff"]
    assert ref1["ok"] and not ref1.get("cached") and ref2.get("cached") is True, (ref1, ref2)
    assert ref2["time_s"] == ref1["time_s"]  # the same yardstick for both candidates
    assert reference_raced == [True, False]  # raced with the first candidate only
    assert second["efficiency"] < first["efficiency"]
    assert len(actor.references) == 1
