"""Attempts, scores, reflections, lessons, the archive, profile snapshots and events."""

from __future__ import annotations

import json

import pytest

from store import StoreError, TaskNotFound
from tests.storehelp import clock, judge, store, task  # noqa: F401 (fixtures)

pytestmark = pytest.mark.unit


def leased(store):
    tid = store.add_task(task(1))
    return tid, store.lease("b1", 60)


def test_attempt_keeps_prompt_response_and_settings_idempotently(store):
    tid, lease = leased(store)
    attempt = {"id": lease["attempt_id"], "task_id": tid, "status": "failed", "prompt": "PROMPT",
               "response": "RESPONSE", "code": "def add(a, b): return 0", "llm_settings": {"model": "m", "seed": 1},
               "tokens_in": 10, "tokens_out": 5, "llm_latency_s": 0.5, "repair_rounds": 2}
    assert store.record_attempt(attempt) == lease["attempt_id"]
    assert store.record_attempt(attempt) == lease["attempt_id"]  # a retried message
    row = store.db["attempts"].get(lease["attempt_id"])
    assert (row["prompt"], row["response"], row["builder"], row["attempt_no"]) == ("PROMPT", "RESPONSE", "b1", 1)
    assert json.loads(row["llm_settings"]) == {"model": "m", "seed": 1}
    assert store.db["attempts"].count == 1 and store.db["events"].count == 0


def test_an_attempt_recorded_after_its_verdict_fills_the_row_and_keeps_the_verdict(store):
    tid, lease = leased(store)
    judge(store, lease, passed=False, code="def add(a, b): return 0")
    store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "error", "prompt": "P",
                          "error": "no code block in the answer"})
    row = store.db["attempts"].get(lease["attempt_id"])
    assert (row["prompt"], row["status"], row["outcome"], row["code"]) == ("P", "error", "failed",
                                                                             "def add(a, b): return 0")
    # an attempt that ended in error is an event with its reason, once
    store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "error", "error": "again"})
    [event] = store.rows("SELECT kind, actor, body FROM events")
    assert (event["kind"], event["actor"]) == ("attempt.error", "b1")
    assert json.loads(event["body"])["reason"] == "no code block in the answer"


def test_attempt_bad_input(store):
    tid, _ = leased(store)
    with pytest.raises(StoreError, match="status must be one of"):
        store.record_attempt({"task_id": tid, "status": "meh"})
    with pytest.raises(StoreError, match="unknown field"):
        store.record_attempt({"task_id": tid, "status": "passed", "colour": 1})
    with pytest.raises(TaskNotFound):
        store.record_attempt({"task_id": "nope", "status": "passed"})
    assert store.db["attempts"].count == 1  # only the lease's own row


def test_score_once_per_attempt_and_recent_scores(store, clock):
    tid, lease = leased(store)
    first = store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "correctness": 1.0,
                                "total": 0.9, "passed": True, "details": {"hidden": "3/3"}})
    clock.tick()
    again = store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.1, "passed": False})
    assert again == first == {"id": first["id"], "recorded": True, "task_status": "passed"}
    [score] = store.recent_scores(skill="math")
    assert (score["passed"], score["total"], score["skill"], score["difficulty"]) == (True, 0.9, "math", 2)
    assert score["details"] == {"hidden": "3/3"}
    assert store.recent_scores(skill="strings") == []
    with pytest.raises(StoreError, match="score: missing total, passed"):
        store.record_score({"attempt_id": "x", "task_id": tid})


def test_a_verdict_needs_its_attempt_and_changes_nothing_when_refused(store):
    tid, lease = leased(store)
    other = store.add_task(task(2))
    bad = [({"attempt_id": "nope", "task_id": tid}, "unknown attempt 'nope'"),
           ({"attempt_id": lease["attempt_id"], "task_id": other}, f"is of task {tid}, not {other}")]
    for fields, message in bad:
        with pytest.raises(StoreError, match=message):
            store.record_score({**fields, "total": 1.0, "passed": True})
    with pytest.raises(StoreError, match="does not belong to lease other"):
        store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": True},
                           lease_id="other")
    assert store.db["scores"].count == 0 and store.get_task(tid)["status"] == "leased"


def test_reflection_adds_its_lesson_and_lessons_rank_by_passes(store, clock):
    tid, lease = leased(store)
    rid = store.record_reflection({"attempt_id": lease["attempt_id"], "task_id": tid, "passed": False,
                                   "strengths": ["short"], "weaknesses": ["off by one"],
                                   "lesson": "Check  the empty input"})
    assert store.record_reflection({"id": rid, "task_id": tid, "lesson": "another"}) == rid
    first = store.top_lessons("math")
    assert [l["text"] for l in first] == ["Check the empty input"]
    clock.tick()
    other = store.add_lesson("math", "Prefer built-ins", "user")
    assert store.add_lesson("math", "Prefer   built-ins", "user") == other
    store.lesson_outcome([first[0]["id"]], passed=False)
    store.lesson_outcome([other], passed=True)
    ranked = store.top_lessons("math")
    assert [l["text"] for l in ranked] == ["Prefer built-ins", "Check the empty input"]
    assert (ranked[0]["uses"], ranked[0]["passes"]) == (1, 1)
    assert store.top_lessons("math", limit=1)[0]["id"] == other
    with pytest.raises(StoreError):
        store.add_lesson("math", "  ", "user")


def test_archive_and_similar_solution(store, tmp_path, clock):
    a = store.add_task(task(1, difficulty=2))
    b = store.add_task(task(2, difficulty=6, id="group/b:1"))
    path_a = store.archive_solution(a, "math", 2, "def add(a, b):\n    return a + b", tmp_path / "arch")
    clock.tick()
    path_b = store.archive_solution(b, "math", 6, "def add(a, b):\n    return b + a\n", tmp_path / "arch")
    assert path_a == str(tmp_path / "arch" / "math" / f"{a}.py")
    assert path_b == str(tmp_path / "arch" / "math" / "group_b_1.py")
    assert open(path_a).read() == "def add(a, b):\n    return a + b\n"
    assert store.similar_solution("math", 5)["task_id"] == b
    assert store.similar_solution("math", 5, exclude_task=b)["task_id"] == a
    assert store.similar_solution("strings", 5) is None


def test_profile_snapshots_and_events(store, clock):
    assert store.latest_profile() is None
    store.snapshot_profile({"ability": {"math": 0.4}})
    clock.tick()
    store.snapshot_profile({"ability": {"math": 0.6}})
    assert store.latest_profile() == {"ability": {"math": 0.6}}
    assert store.db["profile"].count == 2
    with pytest.raises(StoreError):
        store.snapshot_profile(["not", "a", "map"])
    store.log_event("restart", "supervisor", {"actor": "builder-1"})
    [event] = store.db["events"].rows
    assert (event["kind"], event["actor"], json.loads(event["body"])) == ("restart", "supervisor", {"actor": "builder-1"})


def test_history_queries(store, clock):
    tid, lease = leased(store)
    store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.8, "passed": True})
    [recent] = store.history("recent")
    assert (recent["task_id"], recent["visible_status"], recent["score"], recent["hidden_passed"]) == \
        (tid, "passed", 0.8, 1)
    [progress] = store.history("progress")
    assert (progress["skill"], progress["passed"], progress["max_difficulty_passed"]) == ("math", 1, 2)
    [daily] = store.history("daily")
    assert daily["day"] == "2027-01-15" and daily["pass_rate"] == 1.0
    with pytest.raises(StoreError, match="unknown query 'nope'"):
        store.history("nope")
