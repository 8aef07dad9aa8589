"""Scorer and Trainer actors in a real supervisor with a real Memory: the loop's back half.

A score.request travels CLI -> supervisor -> scorer -> memory (task.private, score.record)
-> trainer (trainer.observe -> profile.snapshot, queue top-up), with a "score" event on the
PUB socket; bad requests get error replies and change nothing.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time

import pytest

from ops.client import RemoteFailure
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, running_pid, wait_for

pytestmark = pytest.mark.process

TASK = {
    "title": "double", "prompt": "Return 2 * n.", "skill": "math", "difficulty": 1, "entry_point": "double",
    "visible_tests": "assert candidate(1) == 2\n",
    "hidden_tests": "assert candidate(2) == 4\nassert candidate(5) == 10\nassert candidate(-3) == -6\n",
    "edge_tests": "assert candidate(0) == 0\n", "reference": "def double(n):\n    return 2 * n\n",
    "source": "user",
}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("curhome"), "memory:memory,scorer:scorer,trainer:trainer").start()
    yield d
    d.stop()


def trainer_queued(d: Daemon) -> int:
    return d.forward("memory", "queue.stats", {"source": "trainer"})["stats"]["queued"]


def test_trainer_tops_up_the_queue_at_start(daemon):
    # default config: 1 builder x low_water_per_builder 3
    wait_for(lambda: trainer_queued(daemon) >= 3, timeout=20, what="trainer tasks in the queue")
    tasks = daemon.forward("memory", "task.list", {"source": "trainer"})["tasks"]
    assert len(tasks) == 3 and {t["difficulty"] for t in tasks} == {1}  # a new builder starts easy
    assert len({t["skill"] for t in tasks}) == 3  # spread over skills


def leased(d: Daemon, title: str) -> tuple[str, dict]:
    """A user task added and leased as a builder would (a verdict needs the attempt its lease made)."""
    tid = d.forward("memory", "task.add", {"task": {**TASK, "title": title}})["id"]
    lease = d.forward("memory", "task.lease", {"builder": "builder-1", "ttl_s": 600})["lease"]
    assert lease["task"]["id"] == tid
    return tid, lease


def test_score_request_grades_records_and_tells_the_trainer(daemon):
    tid, lease = leased(daemon, TASK["title"])
    watcher = subprocess.Popen(cogloop_cmd("watch", "--json", "--timeout", "60", "--home", str(daemon.home)),
                               stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in watcher.stdout], daemon=True).start()
    # A SUB socket misses what is published before it connects: poke until it hears.
    wait_for(lambda: daemon.client.call("resume") and not lines.empty(), timeout=20, what="the watcher")
    before = daemon.forward("trainer", "trainer.status")["profile"]["observations"]
    aid = lease["attempt_id"]
    body = {"attempt_id": aid, "task_id": tid, "code": "def double(n):\n    return n + n\n", "builder": "builder-1",
            "lease_id": lease["lease_id"]}
    verdict = daemon.forward("scorer", "score.request", body, timeout=60)
    score = verdict["score"]
    assert score["passed"] is True and score["correctness"] == 1.0 and score["robustness"] == 1.0
    assert score["skill"] == "math" and score["id"] == f"score-{aid}"
    assert (verdict["recorded"], verdict["task_status"]) == (True, "passed")  # the verdict completed the task
    assert daemon.forward("memory", "task.show", {"id": tid})["task"]["status"] == "passed"
    recorded = daemon.forward("memory", "scores.recent", {"skill": "math"})["scores"]
    assert [s["attempt_id"] for s in recorded] == [aid]
    # the trainer heard about it and snapshotted its profile
    wait_for(lambda: daemon.forward("trainer", "trainer.status")["profile"]["observations"] == before + 1,
             what="the trainer's observation")
    latest = daemon.forward("memory", "profile.latest")["profile"]
    assert latest["observations"] == before + 1 and latest["skills"]["math"]["attempts"] >= 1
    events: list[dict] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(e["op"] == "score" for e in events):
        try:
            events.append(json.loads(lines.get(timeout=1)))
        except queue.Empty:
            pass
    watcher.kill()
    scored = [e for e in events if e["op"] == "score"]
    assert scored and scored[0]["body"]["attempt_id"] == aid and scored[0]["body"]["passed"] is True
    # a retried request records nothing twice
    again = daemon.forward("scorer", "score.request", body, timeout=60)["score"]
    assert again["id"] == score["id"]
    assert len(daemon.forward("memory", "scores.recent", {"skill": "math"})["scores"]) == 1


def test_a_wrong_candidate_scores_low(daemon):
    tid, lease = leased(daemon, "double 2")
    body = {"attempt_id": lease["attempt_id"], "task_id": tid, "code": "def double(n):\n    return n * n\n",
            "builder": "builder-1", "lease_id": lease["lease_id"]}
    score = daemon.forward("scorer", "score.request", body, timeout=60)["score"]
    assert score["passed"] is False and score["correctness"] == pytest.approx(1 / 3, abs=0.01)
    task = daemon.forward("memory", "task.show", {"id": tid})["task"]
    assert (task["status"], task["attempts"]) == ("queued", 1)  # one of its three scored attempts used


def test_bad_requests_get_errors_and_change_nothing(daemon):
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("scorer", "score.request",
                       {"attempt_id": "x", "task_id": "no-such-task", "code": "pass", "builder": "b"}, timeout=30)
    assert "no-such-task" in err.value.message
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("scorer", "score.request", {"attempt_id": "x"}, timeout=30)  # malformed body
    assert err.value.code == "bad_request"
    before = daemon.forward("trainer", "trainer.status")["profile"]["observations"]
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("trainer", "trainer.observe", {"score": {"skill": "math"}})
    assert err.value.code == "bad_request" and "difficulty" in err.value.message
    assert daemon.forward("trainer", "trainer.status")["profile"]["observations"] == before
    assert daemon.child("scorer")["restarts"] == 0 and daemon.child("trainer")["restarts"] == 0


def test_trainer_resumes_its_profile_after_a_restart(daemon):
    before = daemon.forward("trainer", "trainer.status")["profile"]
    assert before["observations"] >= 1
    old = daemon.child("trainer")["pid"]
    daemon.client.call("restart", {"actor": "trainer"})
    running_pid(daemon, "trainer", old)
    after = wait_for(lambda: daemon.forward("trainer", "trainer.status")["profile"], what="trainer status")
    assert after["observations"] == before["observations"]
    assert after["abilities"] == before["abilities"]
