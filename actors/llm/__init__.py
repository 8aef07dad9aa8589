"""The LLM interface: an OpenAI-compatible client with retries and a circuit breaker, and the
launcher of the embedded llama.cpp server. Not an actor: the builders and the trainer call it,
the supervisor launches the embedded server with it.

Any server that speaks the OpenAI API works the same way: LM Studio
(`http://localhost:1234/v1`), llama.cpp's `llama-server` or `python -m llama_cpp.server`,
Ollama (`http://localhost:11434/v1`), vLLM. With no URL configured, the supervisor runs the
embedded model as its `llm` child, which announces its URL in `HOME/run/llm.json`.

Every request (calls, probes, readiness, `cogloop doctor`) takes one HTTP path: the `openai`
client with the configured key (`_http.py`), and every failure is an `LLMError` of a `kind`
(connection, timeout, server, rate_limited, auth, model_not_found, not_chat, context_length,
bad_request ...) that keeps the server's own message. None of them is an answer of the model.

After `llm.breaker_failures` consecutive failures the breaker opens and calls fail at once
with `LLMUnavailable` for `llm.breaker_reset_s`, then one trial is let through (half-open).
So a dead endpoint costs one cheap exception per call, never a hot loop. Inside the daemon
the supervisor keeps one breaker per endpoint and assigns endpoints (`BusSource`).

    _errors.py    LLMError, LLMUnavailable, the kinds and `classify`
    _http.py      the one HTTP path: openai clients, error translation, GET /models, a trial chat
    _models.py    which model: skip non-chat models, `name` matches `name:latest`
    _breaker.py   CircuitBreaker
    _source.py    where a request goes: DirectSource (one URL) or BusSource (the supervisor's)
    _client.py    LLMClient, LLMResult, LLMStats: calls, retries, streaming
    _endpoint.py  HOME/run/llm.json, written by the embedded server, read by clients
    _probe.py     Probe: GET /v1/models and the model a call would use
    _embedded.py  the embedded llama.cpp server: command, child spec, readiness, `serve`
    _llamaserve.py  the server process itself: llama_cpp.server's app, stopped within 0.5 s
"""

from actors.llm._breaker import CircuitBreaker
from actors.llm._client import LLMClient, LLMResult, LLMStats
from actors.llm._embedded import EmbeddedServer, embedded_command, embedded_server, find_model, free_port, running_embedded, serve, wait_ready
from actors.llm._endpoint import ENDPOINT_FILE, read_endpoint, write_endpoint
from actors.llm._errors import LLMError, LLMUnavailable, classify
from actors.llm._http import trial_chat
from actors.llm._models import can_chat, choose_model
from actors.llm._probe import Probe, probe, probe_endpoint, probe_models
from actors.llm._source import Assignment, BusSource, DirectSource

__all__ = [
    "ENDPOINT_FILE", "Assignment", "BusSource", "CircuitBreaker", "DirectSource", "EmbeddedServer", "LLMClient",
    "LLMError", "LLMResult", "LLMStats", "LLMUnavailable", "Probe", "can_chat", "choose_model", "classify",
    "embedded_command", "embedded_server", "find_model", "free_port", "probe", "probe_endpoint", "probe_models",
    "read_endpoint", "running_embedded", "serve", "trial_chat", "wait_ready", "write_endpoint",
]
