"""The builder's whole cycle (lease -> attempt -> record + score (the verdict) -> reflect) against
a scripted LLM server and an in-memory Memory; an endpoint that is down makes it wait without
holding a lease."""

from __future__ import annotations

import json

import pytest

from actors.builder.worker import BuilderWorker
from actors.runtime import RemoteError
from actors.llm import LLMClient
from ops.ground.config import Config
from tests.builder_helpers import FakeMemory, inproc_run_tests
from tests.fakellm import FakeLLM, free_port

pytestmark = pytest.mark.unit

TASK = {"id": "t1", "title": "Add", "prompt": "Return a + b.", "entry_point": "add", "skill": "math",
        "difficulty": 2, "visible_tests": "assert candidate(1, 2) == 3"}
RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"
LESSONS = [{"id": 4, "text": "Check edge cases first."}, {"id": 9, "text": "Keep it simple and direct."}]


def worker(url: str, mem: FakeMemory, *, model: str = "", clock=None, search: str = "fixed") -> BuilderWorker:
    """A builder of the default configuration, but for lessons (3 in each prompt) and the
    search: fixed (the configured repair rounds and samples) unless asked, so the cycle's own asks and calls are what is tested here
    (tests/test_builder_search_worker.py tests search auto)."""
    cfg = Config()
    cfg.builder.search = search
    cfg.builder.lessons = 3  # off by default; on here, so the cycle's lesson asks are exercised
    cfg.llm.url, cfg.llm.model, cfg.llm.retries, cfg.llm.breaker_failures = url, model, 0, 1
    cfg.llm.breaker_reset_s = 5.0
    kw = {"clock": clock} if clock else {}
    client = LLMClient(cfg.llm, sleep=lambda s: None, **kw)
    return BuilderWorker("builder-1", cfg, mem.ask, client, inproc_run_tests, **kw)


def test_full_cycle_records_attempt_score_and_reflection_and_sends_no_completion() -> None:
    mem = FakeMemory([TASK], LESSONS)
    reflection = json.dumps({"strengths": "short", "weaknesses": "none", "lesson": "Return early on trivial input."})
    with FakeLLM([{"content": RIGHT, "usage": {"prompt_tokens": 80, "completion_tokens": 12}}, reflection]) as fake:
        w = worker(fake.url, mem)
        assert w.step() == 0.0
        assert "Check edge cases first." in fake.chat_requests[0]["messages"][1]["content"]
        assert "Your solution" in fake.chat_requests[1]["messages"][1]["content"]
    ops = [op for _, op, _ in mem.asks]
    assert ops == ["task.lease", "lesson.top", "archive.similar", "attempt.record", "score.request",
                   "reflection.record"]  # the verdict completed the task: nothing left to send
    a = mem.attempts[0]
    assert a["status"] == "passed" and a["code"].endswith("return a + b") and a["response"] == RIGHT
    assert "Return a + b." in a["prompt"] and (a["tokens_in"], a["tokens_out"]) == (80, 12)
    assert a["llm_settings"]["model"] == "fake-model" and a["llm_settings"]["lesson_ids"] == [4, 9]
    assert a["llm_latency_s"] > 0 and a["started_at"].endswith("Z") and a["visible_total"] == 1
    r = mem.reflections[0]
    assert r["details"]["source"] == "llm" and r["lesson"] == "Return early on trivial input." and r["passed"]
    assert r["lesson_ids"] == [4, 9] and r["attempt_id"] == a["id"] and r["skill"] == "math"
    assert mem.completed == [{"lease_id": a["lease_id"], "attempt_id": a["id"], "outcome": "passed"}]
    assert w.step() == 1.0  # queue empty: idle poll
    assert w.status()["attempts"] == 1 and w.status()["llm"]["state"] == "ok"


def test_garbage_reflection_falls_back_to_the_rule_for_the_failure() -> None:
    mem = FakeMemory([TASK], hidden_pass=False)
    wrong = "```python\ndef add(a, b):\n    return a * b\n```"
    with FakeLLM([wrong, wrong, wrong, "lol idk \x00 {{{"]) as fake:
        worker(fake.url, mem).step()
    r = mem.reflections[0]
    assert r["details"]["source"] == "rule" and r["details"]["category"] == "wrong_answer" and not r["passed"]
    assert "visible tests" in r["lesson"].lower() or "edge cases" in r["lesson"].lower()
    assert mem.attempts[0]["repair_rounds"] == 2 and mem.completed[0]["outcome"] == "failed"


def test_endpoint_down_at_start_waits_without_leasing_then_recovers() -> None:
    port = free_port()
    mem = FakeMemory([TASK])
    now = [1000.0]
    w = worker(f"http://127.0.0.1:{port}/v1", mem, clock=lambda: now[0])
    delay = w.step()
    assert 0 < delay <= 5.0 and mem.asks == []  # no lease taken while the LLM is down
    assert w.status()["llm"]["state"].startswith("down: connection failed")
    assert w.step() > 0 and mem.asks == []  # still waiting: no request, no lease
    with FakeLLM([RIGHT], default='{"lesson": "Adding is commutative, test both orders."}', port=port):
        now[0] += 6
        assert w.step() == 0.0
    assert mem.completed and mem.completed[0]["outcome"] == "passed" and w.status()["llm"]["state"] == "ok"


def test_endpoint_dies_mid_task_gives_the_task_back_as_lost_work_not_an_attempt() -> None:
    mem = FakeMemory([TASK])
    with FakeLLM([{"status": 502}]) as fake:
        w = worker(fake.url, mem, model="fake-model")
        delay = w.step()
    assert delay > 0 and len(mem.released) == 1 and mem.queue == [TASK]
    assert mem.release_reasons == ["endpoint error (server): HTTP 502: scripted error"]
    assert not mem.attempts and not mem.completed and w.status()["released"] == 1
    assert w.status()["llm"]["state"].startswith("down: HTTP 502")


def test_slow_attempt_renews_its_lease() -> None:
    mem = FakeMemory([TASK])
    now = [0.0]

    def slow(body: dict) -> str:
        now[0] += 400  # each call "takes" 400 s of a 900 s lease
        return "```python\ndef add(a, b):\n    return a - b\n```"
    with FakeLLM(default=slow) as fake:
        worker(fake.url, mem, model="fake-model", clock=lambda: now[0]).step()
    renews = [b for _, op, b in mem.asks if op == "task.renew"]
    assert len(renews) == 3 and renews[0]["ttl_s"] == 900.0  # before repair 1, repair 2, reflection
    assert mem.completed


class DeferringMemory(FakeMemory):
    """send_ask as the bus does it: the ask leaves now, its reply is read later (or raises then)."""

    def __init__(self, *a, fail_op: str = "", **kw) -> None:
        super().__init__(*a, **kw)
        self.fail_op = fail_op
        self.events: list[str] = []  # "send OP" / "wait OP" in the order they happen

    def send_ask(self, to: str, op: str, body: dict, timeout: float = 30.0):
        self.events.append(f"send {op}")
        reply = self.ask(to, op, body, timeout)

        def wait() -> dict:
            self.events.append(f"wait {op}")
            if op == self.fail_op:
                raise RemoteError("internal", f"{op} failed: disk full")
            return reply
        return wait


def test_independent_asks_travel_together_and_every_reply_is_awaited() -> None:
    mem = DeferringMemory([TASK], LESSONS)
    reflection = json.dumps({"strengths": "s", "weaknesses": "w", "lesson": "l"})
    with FakeLLM([RIGHT, reflection]) as fake:
        w = worker(fake.url, mem)
        w.send_ask = mem.send_ask
        assert w.step() == 0.0
    assert [op for _, op, _ in mem.asks] == ["task.lease", "lesson.top", "archive.similar", "attempt.record",
                                              "score.request", "reflection.record"]
    assert mem.events == ["send lesson.top", "wait lesson.top", "send attempt.record", "wait attempt.record",
                          "send reflection.record", "wait reflection.record"]
    assert mem.completed and mem.reflections and not mem.released


def test_a_deferred_attempt_record_that_fails_does_not_undo_the_verdict() -> None:
    mem = DeferringMemory([TASK], LESSONS, fail_op="attempt.record")
    with FakeLLM([RIGHT]) as fake:
        w = worker(fake.url, mem)
        w.send_ask = mem.send_ask
        assert w.step() > 0  # error backoff
    # the builder gives the task back with the reason, but the verdict already completed it
    assert len(mem.completed) == 1 and len(mem.released) == 1 and mem.queue == []
    assert mem.release_reasons == ["builder-1: RemoteError: internal: attempt.record failed: disk full"]


def test_an_attempt_that_fails_otherwise_is_given_back_with_its_reason() -> None:
    mem = FakeMemory([TASK])

    def ask(to: str, op: str, body: dict, timeout: float = 30.0) -> dict:
        if op == "score.request":
            mem.asks.append((to, op, body))
            raise RemoteError("timeout", "scorer did not answer")
        return mem.ask(to, op, body, timeout)
    with FakeLLM([RIGHT]) as fake:
        w = worker(fake.url, mem)
        w.ask = ask
        assert w.step() > 0
    assert mem.queue == [TASK] and mem.completed == []
    assert mem.release_reasons == ["builder-1: RemoteError: timeout: scorer did not answer"]


def test_stop_during_a_hanging_llm_call_releases_the_lease_at_once() -> None:
    import threading
    import time

    mem = FakeMemory([TASK])
    stopping = threading.Event()
    with FakeLLM([{"hang": 30.0}]) as fake:
        cfg = Config()
        cfg.llm.url, cfg.llm.retries, cfg.llm.timeout_s = fake.url, 0, 60.0
        w = BuilderWorker("builder-1", cfg, mem.ask, LLMClient(cfg.llm), inproc_run_tests, stopping=stopping)
        result: list[float] = []
        t = threading.Thread(target=lambda: result.append(w.step()))
        t.start()
        deadline = time.monotonic() + 10
        while not fake.chat_requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fake.chat_requests, "the builder never called the LLM"
        t0 = time.monotonic()
        stopping.set()
        t.join(10)
        took = time.monotonic() - t0
        assert not t.is_alive() and result == [1.0]
    print(f"step() returned {took * 1000:.0f} ms after the stop, the LLM call still hanging")
    ops = [op for _, op, _ in mem.asks]
    assert ops[-1] == "task.release" and "attempt.record" not in ops and "task.complete" not in ops
    assert mem.queue == [TASK] and w.released == 1
    assert mem.asks[0][2].get("reclaim") is True  # the process's first lease reclaims stale ones
    assert w.step() == 1.0 and [op for _, op, _ in mem.asks][-1] == "task.release"  # stopping: no new lease
