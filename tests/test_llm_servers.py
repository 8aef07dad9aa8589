"""The client against stand-ins for real servers: the key on every request (probe included), the
model choice (an embedding model listed first, Ollama's `name:latest`, an unknown name), every
error kept in the server's own words and classified, streaming and streaming-only servers."""

from __future__ import annotations

import pytest

from actors.llm import LLMClient, LLMError, choose_model, classify, probe_endpoint
from ops.ground.config import LLMConfig
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.unit

MSG = [{"role": "user", "content": "hi"}]
EMBED = {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model", "type": "embeddings"}


def client(url: str, **cfg: object) -> LLMClient:
    return LLMClient(LLMConfig(url=url, **{"retries": 0, "timeout_s": 5.0, **cfg}),  # type: ignore[arg-type]
                     sleep=lambda s: None)


def test_the_probe_and_the_calls_send_the_configured_key() -> None:
    with FakeLLM(["fine"], api_key="sk-local") as fake:
        assert probe_endpoint(fake.url, "sk-local").state == "ok"
        no_key = probe_endpoint(fake.url, "")
        assert no_key.state == "down: HTTP 401: Incorrect API key provided" and no_key.kind == "auth"
        assert client(fake.url, api_key="sk-local").chat(MSG).text == "fine"
        assert {r["auth"] for r in fake.requests} == {"Bearer sk-local", "Bearer not-needed"}


def test_auto_detection_skips_an_embedding_model_listed_first() -> None:
    with FakeLLM(["ok"], models=[EMBED, "qwen2.5-coder-7b-instruct"], embedding_models=[EMBED["id"]]) as fake:
        assert probe_endpoint(fake.url).model == "qwen2.5-coder-7b-instruct"
        r = client(fake.url).chat(MSG)
        assert r.model == "qwen2.5-coder-7b-instruct" and fake.chat_requests[0]["model"] == r.model


@pytest.mark.parametrize("listed, wanted, chosen", [
    (["llama3.2:latest"], "llama3.2", "llama3.2:latest"),  # Ollama
    (["Qwen2.5-Coder-7B"], "qwen2.5-coder-7b", "Qwen2.5-Coder-7B"),
    (["a", "b"], "b", "b"),
    ([], "anything", "anything"),  # lists nothing: the name on trust
    (["nomic-embed-text", "bge-m3", {"id": "rerank-x"}, {"id": "m", "capabilities": ["embedding"]}, "coder"], "", "coder"),
    ([{"id": "whisper-1"}, {"id": "tiny", "type": "llm"}], "", "tiny"),
])
def test_model_choice(listed: list, wanted: str, chosen: str) -> None:
    assert choose_model(listed, wanted) == chosen


def test_model_choice_says_what_the_server_lists() -> None:
    with pytest.raises(LLMError, match=r"does not list model 'llama9' \(it lists qwen2.5-coder, phi\)") as info:
        choose_model(["qwen2.5-coder", "phi"], "llama9")
    assert info.value.kind == "model_not_found"
    with pytest.raises(LLMError, match="lists no chat model") as info:
        choose_model([EMBED], "")
    assert info.value.kind == "not_chat"
    assert choose_model(["a", "b"], "", refused=["a"]) == "b"


def test_ollama_name_matches_its_latest_tag_on_the_wire() -> None:
    with FakeLLM(["ok"], models=["llama3.2:latest"], strict_models=True) as fake:
        assert client(fake.url, model="llama3.2").chat(MSG).text == "ok"
        assert fake.chat_requests[0]["model"] == "llama3.2:latest"


@pytest.mark.parametrize("item, kind, text", [
    ({"status": 500, "body": {"error": {"message": "CUDA error: out of memory"}}}, "server", "HTTP 500: CUDA error: out of memory"),
    ({"status": 429, "body": {"error": {"message": "slow down"}}}, "rate_limited", "HTTP 429: slow down"),
    ({"status": 401}, "auth", "HTTP 401: scripted error"),
    ({"status": 403, "body": {"detail": "forbidden for this key"}}, "auth", "HTTP 403: forbidden for this key"),
    ({"status": 404, "body": {"error": 'model "llama3.2" not found, try pulling it first'}}, "model_not_found",
     'HTTP 404: model "llama3.2" not found, try pulling it first'),
    ({"status": 404, "text": "404 page not found"}, "bad_request", "HTTP 404: 404 page not found"),
    ({"status": 400, "body": {"error": {"message": "'nomic' is not a chat model: it is an embedding model"}}},
     "not_chat", "HTTP 400: 'nomic' is not a chat model"),
    ({"status": 400, "body": {"error": {"message": "the request exceeds the available context size, try increasing it",
                                        "type": "exceed_context_size_error", "n_ctx": 4096}}}, "context_length",
     "HTTP 400: the request exceeds the available context size"),
    ({"status": 400, "text": "messages: field required"}, "bad_request", "HTTP 400: messages: field required"),
    ({"close": True}, "connection", "connection failed"),
])
def test_every_error_keeps_the_servers_words_and_its_kind(item: dict, kind: str, text: str) -> None:
    with FakeLLM([item]) as fake:
        with pytest.raises(LLMError) as info:
            client(fake.url, model="fake-model").chat(MSG)
    assert info.value.kind == kind and str(info.value).startswith(text) and info.value.sent


def test_classify_reads_codes_and_words() -> None:
    assert classify(400, "x", "context_length_exceeded") == "context_length"
    assert classify(400, "This model's maximum context length is 4096 tokens.") == "context_length"
    assert classify(422, "Unknown model: foo") == "model_not_found"
    assert classify(400, "x", "model_not_found") == "model_not_found"
    assert classify(503, "model is loading") == "server"


def test_streaming_answers_are_put_together_with_their_usage() -> None:
    with FakeLLM([{"content": "a long answer " * 5, "usage": {"prompt_tokens": 9, "completion_tokens": 17}}],
                 stream_only=True) as fake:
        r = client(fake.url, stream=True).chat(MSG)
    assert r.text == "a long answer " * 5 and (r.tokens_in, r.tokens_out) == (9, 17) and r.finish_reason == "stop"
    assert fake.chat_requests[0]["stream"] is True


def test_a_streaming_only_server_refuses_plain_calls_in_its_words() -> None:
    with FakeLLM(["x"], stream_only=True) as fake:
        with pytest.raises(LLMError, match="HTTP 400: this server only streams") as info:
            client(fake.url).chat(MSG)
    assert info.value.kind == "bad_request"
