"""Endpoint errors are not attempts: one test per kind of error with the scripted server. Only
what the model answered is recorded and scored; an error before any answer gives the task back
with the reason (lost work, counted toward store.max_lost) and the builder backs off; an
endpoint that cannot serve (a key refused, the model unknown) is met before any lease."""

from __future__ import annotations

import pytest

from actors.builder.worker import BuilderWorker
from actors.llm import LLMClient
from ops.ground.config import Config
from tests.builder_helpers import FakeMemory, inproc_run_tests
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.unit

TASK = {"id": "t1", "title": "Add", "prompt": "Return a + b.", "entry_point": "add", "skill": "math",
        "difficulty": 2, "visible_tests": "assert candidate(1, 2) == 3"}
RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"
LESSON = '{"lesson": "Add them."}'


def worker(url: str, mem: FakeMemory, now: list[float] | None = None, **llm: object) -> BuilderWorker:
    cfg = Config()
    cfg.llm.url, cfg.llm.retries, cfg.llm.breaker_failures, cfg.llm.breaker_reset_s = url, 0, 3, 30.0
    cfg.builder.lessons = 3  # off by default; on here, so a prompt carries lessons to trim
    for k, v in llm.items():
        setattr(cfg.llm, k, v)
    clock = (lambda: now[0]) if now is not None else None
    kw = {"clock": clock} if clock else {}
    return BuilderWorker("builder-1", cfg, mem.ask, LLMClient(cfg.llm, sleep=lambda s: None, **kw),
                         inproc_run_tests, **kw)


@pytest.mark.parametrize("error, kind, words", [
    ({"close": True}, "connection", "connection failed"),
    ({"status": 503, "body": {"error": {"message": "loading model"}}}, "server", "HTTP 503: loading model"),
    ({"status": 429, "retry_after": 7, "body": {"error": {"message": "rate limit reached"}}}, "rate_limited",
     "HTTP 429: rate limit reached"),
    ({"status": 401, "body": {"error": {"message": "key revoked"}}}, "auth", "HTTP 401: key revoked"),
    ({"status": 403, "body": {"error": {"message": "not allowed"}}}, "auth", "HTTP 403: not allowed"),
    ({"status": 404, "body": {"error": 'model "fake-model" not found'}}, "model_not_found",
     'HTTP 404: model "fake-model" not found'),
    ({"status": 400, "body": {"error": {"message": "'fake-model' is not a chat model"}}}, "not_chat",
     "HTTP 400: 'fake-model' is not a chat model"),
    ({"status": 400, "text": "Invalid request: unsupported field"}, "bad_request", "HTTP 400: Invalid request"),
])
def test_an_endpoint_error_is_no_attempt_the_task_goes_back_with_the_reason(error: dict, kind: str, words: str) -> None:
    mem = FakeMemory([TASK])
    now = [100.0]
    with FakeLLM([error], default=RIGHT, models=["fake-model", "backup-model"]) as fake:
        w = worker(fake.url, mem, now)
        delay = w.step()
        assert not mem.attempts and not mem.completed and mem.queue == [TASK]  # nothing recorded or scored
        assert len(mem.release_reasons) == 1 and mem.release_reasons[0].startswith(f"endpoint error ({kind}): {words}")
        assert delay >= (7.0 if kind == "rate_limited" else 2.0)  # it backs off (Retry-After honoured)
        asked = len(mem.asks)
        assert w.step() == pytest.approx(delay) and len(mem.asks) == asked  # waiting: no lease meanwhile
        now[0] += delay
        assert w.step() == 0.0  # then the next answer is an attempt like any other
        # a model that cannot chat is not asked again: the next chat model listed is
        assert fake.chat_requests[-2]["model"] == ("backup-model" if kind == "not_chat" else "fake-model")
    assert len(mem.attempts) == 1 and mem.completed[0]["outcome"] == "passed"


def test_errors_in_a_row_back_off_longer_each_time_up_to_the_breaker_reset() -> None:
    mem = FakeMemory([TASK])
    now = [0.0]
    delays = []
    with FakeLLM(default={"status": 400, "text": "nope"}) as fake:
        w = worker(fake.url, mem, now, breaker_failures=100, breaker_reset_s=10.0)
        for _ in range(5):
            delays.append(w.step())
            now[0] += delays[-1]
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0] and len(mem.release_reasons) == 5 and not mem.attempts


def test_a_refused_key_or_an_unknown_model_is_met_before_any_lease() -> None:
    with FakeLLM(api_key="sk-right") as fake:
        mem = FakeMemory([TASK])
        w = worker(fake.url, mem, api_key="sk-wrong")
        assert w.step() > 0 and mem.asks == []  # no lease taken
        assert w.status()["llm"]["state"] == "erroring: HTTP 401: Incorrect API key provided"
    with FakeLLM(models=["qwen2.5-coder"], strict_models=True) as fake:
        mem = FakeMemory([TASK])
        w = worker(fake.url, mem, model="llama9")
        assert w.step() > 0 and mem.asks == [] and not fake.chat_requests
        assert w.status()["llm"]["state"] == "waiting: the server does not list model 'llama9' (it lists qwen2.5-coder)"


def test_a_named_model_that_cannot_chat_holds_the_builder_not_the_tasks() -> None:
    mem = FakeMemory([TASK, dict(TASK, id="t2")])
    now = [0.0]
    with FakeLLM(default=RIGHT, models=["nomic-embed-text", "coder"], embedding_models=["nomic-embed-text"]) as fake:
        w = worker(fake.url, mem, now, model="nomic-embed-text")
        w.step()
        assert mem.release_reasons == ["endpoint error (not_chat): HTTP 400: 'nomic-embed-text' is not a chat model: "
                                       "it is an embedding model and cannot do chat completions"]
        for _ in range(3):  # held for the breaker's reset, then tried again (the server may load another model)
            now[0] += 9
            w.step()
        assert len(mem.release_reasons) == 1 and len(fake.chat_requests) == 1
        assert w.status()["llm"]["state"].startswith("waiting: model 'nomic-embed-text' cannot chat")
        now[0] += 30
        w.step()
        assert len(fake.chat_requests) == 2 and not mem.attempts


def test_a_prompt_beyond_the_context_is_sent_once_more_smaller() -> None:
    lessons = [{"id": i, "text": "A long lesson about edge cases. " * 20} for i in range(3)]
    mem = FakeMemory([TASK], lessons)
    with FakeLLM(default=RIGHT, n_ctx=400) as fake:
        w = worker(fake.url, mem, max_tokens=512)
        assert w.step() == 0.0
        first, second = fake.chat_requests[:2]
    assert "edge cases" in first["messages"][1]["content"] and first["max_tokens"] == 512
    assert "edge cases" not in second["messages"][1]["content"] and "Return a + b." in second["messages"][1]["content"]
    assert second["max_tokens"] < 400  # what the context has left, from the server's words
    a = mem.attempts[0]
    assert a["status"] == "passed" and a["llm_settings"]["context_trimmed"] and not mem.release_reasons


def test_a_task_beyond_the_context_even_trimmed_goes_back_as_lost_work() -> None:
    big = dict(TASK, prompt="Return a + b. " + "Consider every case. " * 200)
    mem = FakeMemory([big])
    with FakeLLM(default=RIGHT, n_ctx=300) as fake:
        worker(fake.url, mem).step()
        assert len(fake.chat_requests) == 2  # the prompt and one smaller try
    assert not mem.attempts and mem.release_reasons[0].startswith("endpoint error (context_length): HTTP 400: "
                                                                  "This model's maximum context length is 300")
