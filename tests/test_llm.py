"""The LLM client against a scripted OpenAI-compatible server: calls, usage, retries, backoff,
the circuit breaker, hanging and dead servers, model auto-detection, the endpoint file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from actors.llm import (CircuitBreaker, LLMClient, LLMError, LLMUnavailable, embedded_command, find_model,
                        probe, read_endpoint, write_endpoint)
from ops.ground.config import Config, EmbeddedConfig, LLMConfig
from ops.ground.errors import CogloopError
from tests.fakellm import FakeLLM, free_port

pytestmark = pytest.mark.unit

MSG = [{"role": "user", "content": "hi"}]


def client(url: str, sleeps: list[float] | None = None, **cfg: object) -> LLMClient:
    conf = LLMConfig(url=url, **{"timeout_s": 5.0, "retries": 3, **cfg})  # type: ignore[arg-type]
    sink = sleeps if sleeps is not None else []
    return LLMClient(conf, sleep=sink.append, backoff_base_s=0.5, backoff_max_s=4.0)


def test_chat_returns_text_usage_settings_and_detects_the_model() -> None:
    with FakeLLM([{"content": "hello", "usage": {"prompt_tokens": 11, "completion_tokens": 3}}],
                 model="smol") as fake:
        c = client(fake.url, temperature=0.7, max_tokens=99, seed=5)
        r = c.chat(MSG)
        assert (r.text, r.model, r.tokens_in, r.tokens_out, r.tries) == ("hello", "smol", 11, 3, 1)
        assert r.latency_s > 0 and r.settings["model"] == "smol" and r.settings["max_tokens"] == 99
        sent = fake.chat_requests[0]
        assert sent["model"] == "smol" and sent["temperature"] == 0.7 and sent["max_tokens"] == 99
        assert sent["seed"] == 5 and sent["messages"] == MSG
        assert [r["path"] for r in fake.requests] == ["/v1/models", "/v1/chat/completions"]
        assert c.stats.calls == 1 and c.stats.tokens_in == 11 and c.state() == "ok"


def test_configured_model_is_checked_against_the_listing_once() -> None:
    with FakeLLM(["x", "y"], model="mine") as fake:
        c = LLMClient(LLMConfig(url=fake.url, model="mine"))
        c.chat(MSG), c.chat(MSG)
        assert [r["path"] for r in fake.requests] == ["/v1/models", "/v1/chat/completions", "/v1/chat/completions"]
        assert fake.chat_requests[0]["model"] == "mine"


def test_retries_5xx_429_and_dropped_connections_with_growing_backoff() -> None:
    sleeps: list[float] = []
    with FakeLLM([{"status": 500}, {"status": 429}, {"close": True}, "finally"]) as fake:
        c = client(fake.url, sleeps, breaker_failures=10)
        r = c.chat(MSG)
        assert r.text == "finally" and r.tries == 4
        assert len(fake.chat_requests) == 4 and c.stats.retries == 3
        # exponential with jitter in [0.5, 1) of 0.5, 1, 2
        assert 0.25 <= sleeps[0] < 0.5 and 0.5 <= sleeps[1] < 1.0 and 1.0 <= sleeps[2] < 2.0


def test_retry_after_header_is_honoured_within_the_cap() -> None:
    sleeps: list[float] = []
    with FakeLLM([{"status": 429, "retry_after": 3}, "ok"]) as fake:
        client(fake.url, sleeps).chat(MSG)
    assert sleeps == [3.0]


def test_gives_up_after_the_configured_retries() -> None:
    sleeps: list[float] = []
    with FakeLLM([{"status": 503}] * 10) as fake:
        c = client(fake.url, sleeps, retries=2, breaker_failures=10)
        with pytest.raises(LLMError, match="HTTP 503: scripted error") as info:
            c.chat(MSG)
        assert info.value.kind == "server" and info.value.sent
        assert len(fake.chat_requests) == 3 and len(sleeps) == 2 and c.stats.failures == 1


def test_a_prompt_beyond_the_context_is_not_retried_and_does_not_trip_the_breaker() -> None:
    with FakeLLM([{"status": 400, "body": {"error": {"message": "context too long"}}}]) as fake:
        c = client(fake.url, breaker_failures=1)
        with pytest.raises(LLMError, match="HTTP 400: context too long") as info:
            c.chat(MSG)
        assert not isinstance(info.value, LLMUnavailable) and info.value.kind == "context_length"
        assert len(fake.chat_requests) == 1 and c.breaker.state == "closed"


def test_hanging_server_times_out_and_is_retried() -> None:
    with FakeLLM([{"hang": 30}, "after the hang"]) as fake:
        c = client(fake.url, timeout_s=0.5)
        t0 = time.monotonic()
        r = c.chat(MSG)
        assert r.text == "after the hang" and r.tries == 2
        assert time.monotonic() - t0 < 10


def test_breaker_opens_fails_fast_then_half_opens() -> None:
    clock = [100.0]
    with FakeLLM([{"status": 500}] * 3, default="recovered") as fake:
        conf = LLMConfig(url=fake.url, retries=5, breaker_failures=3, breaker_reset_s=30, timeout_s=5)
        c = LLMClient(conf, sleep=lambda s: None, clock=lambda: clock[0])
        with pytest.raises(LLMUnavailable) as info:
            c.chat(MSG)
        assert len(fake.chat_requests) == 3  # stopped at the breaker, not at retries=5
        assert info.value.retry_in == pytest.approx(30) and info.value.sent  # this call reached the server
        assert c.state().startswith("down: HTTP 500")
        for _ in range(50):  # a dead endpoint costs nothing while open: no request goes out
            with pytest.raises(LLMUnavailable):
                c.chat(MSG)
        assert len(fake.chat_requests) == 3 and c.breaker.trips == 1
        clock[0] += 31  # half-open: one trial call, it succeeds, the breaker closes
        assert c.chat(MSG).text == "recovered" and c.state() == "ok"


def test_half_open_trial_failure_reopens() -> None:
    clock = [0.0]
    b = CircuitBreaker(2, 10, clock=lambda: clock[0])
    b.failure("x"), b.failure("x")
    assert b.state == "open" and not b.allow()
    clock[0] = 11
    assert b.allow() and not b.allow()  # only one trial goes through
    b.failure("still down")
    assert b.state == "open" and b.retry_in() == pytest.approx(10) and b.trips == 1


def test_dead_endpoint_connection_refused() -> None:
    sleeps: list[float] = []
    c = client(f"http://127.0.0.1:{free_port()}/v1", sleeps, retries=3, breaker_failures=2)
    for _ in range(2):  # the model listing fails: no chat is sent, the breaker counts it
        with pytest.raises(LLMError, match="connection failed") as info:
            c.chat(MSG)
        assert info.value.kind == "connection" and not info.value.sent
    assert c.state().startswith("down: connection failed") and not sleeps
    with pytest.raises(LLMUnavailable, match="connection failed"):
        c.chat(MSG)


def test_endpoint_file_is_followed_and_waiting_until_it_exists(tmp_path: Path) -> None:
    c = LLMClient(LLMConfig(), run_dir=tmp_path)
    with pytest.raises(LLMUnavailable, match="waiting"):
        c.chat(MSG)
    assert c.state().startswith("waiting")
    with FakeLLM(["via file"]) as fake:
        write_endpoint(tmp_path, {"url": fake.url, "model": "m"})
        assert read_endpoint(tmp_path)["url"] == fake.url
        assert c.chat(MSG).text == "via file" and c.state() == "ok"
    (tmp_path / "llm.json").write_text("{broken")
    assert read_endpoint(tmp_path) is None


def test_query_sends_the_system_message_only_when_given() -> None:
    with FakeLLM(["a", "b"]) as fake:
        c = client(fake.url)
        assert [c.query("q").text, c.query("p", system="be brief").text] == ["a", "b"]
        assert [r["messages"] for r in fake.chat_requests] == [
            [{"role": "user", "content": "q"}],
            [{"role": "system", "content": "be brief"}, {"role": "user", "content": "p"}]]


def test_probe_states() -> None:
    with FakeLLM(model="m1") as fake:
        assert probe(fake.url) == ("ok", "m1")
        fake.models_status = 503
        assert probe(fake.url)[0] == "down: HTTP 503: models unavailable"
    assert probe(f"http://127.0.0.1:{free_port()}/v1")[0].startswith("down: connection failed")


def test_embedded_command_uses_the_packaged_model_on_loopback(tmp_path: Path) -> None:
    model = find_model(EmbeddedConfig())
    assert model.suffix == ".gguf" and model.is_file()
    server = embedded_command(Config())
    argv = server.argv
    assert argv[1:3] == ["-m", "actors.llm._llamaserve"]  # llama_cpp.server's app, with a bounded stop
    assert argv[argv.index("--model") + 1] == str(model) and argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--model_alias") + 1] == model.stem  # what /v1/models lists and attempts record
    assert argv[argv.index("--n_ctx") + 1] == "8192" and server.url == f"http://127.0.0.1:{server.port}/v1"
    with pytest.raises(CogloopError, match="no such file"):
        find_model(EmbeddedConfig(model_path=str(tmp_path / "nope.gguf")))
    assert "--n_threads" not in argv  # llama.cpp's own choice by default


def test_several_embedded_servers_share_the_cores_out() -> None:
    cfg = Config()
    cfg.embedded.servers = 2
    argv = embedded_command(cfg).argv
    each = str(max(1, (os.cpu_count() or 1) // 2))
    assert argv[argv.index("--n_threads") + 1] == each and argv[argv.index("--n_threads_batch") + 1] == each
    cfg.embedded.threads = 1
    argv = embedded_command(cfg).argv
    assert argv[argv.index("--n_threads") + 1] == "1" and argv[argv.index("--n_threads_batch") + 1] == "1"
