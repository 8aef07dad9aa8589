"""The LLM interface: an OpenAI-compatible client with retries and a circuit breaker, and the
launcher of the embedded llama.cpp server. Not an actor: the builders and the trainer call it,
the supervisor launches the embedded server with it.

Any server that speaks the OpenAI API works the same way: LM Studio
(`http://localhost:1234/v1`), llama.cpp's `llama-server` or `python -m llama_cpp.server`,
Ollama (`http://localhost:11434/v1`), vLLM. With no URL configured, the supervisor runs the
embedded model as its `llm` child, which announces its URL in `HOME/run/llm.json`.

After `llm.breaker_failures` consecutive failures the breaker opens and calls fail at once
with `LLMUnavailable` for `llm.breaker_reset_s`, then one trial call is let through
(half-open). So a dead endpoint costs one cheap exception per call, never a hot loop.

    _errors.py    LLMError, LLMUnavailable
    _breaker.py   CircuitBreaker
    _client.py    LLMClient, LLMResult, LLMStats: calls, retries, model detection
    _endpoint.py  HOME/run/llm.json, written by the embedded server, read by clients
    _probe.py     GET /v1/models for status and readiness (urllib, outside the client)
    _embedded.py  the embedded llama.cpp server: command, child spec, readiness, `serve`
    _llamaserve.py  the server process itself: llama_cpp.server's app, stopped within 0.5 s
"""

from actors.llm._breaker import CircuitBreaker
from actors.llm._client import LLMClient, LLMResult, LLMStats
from actors.llm._embedded import EmbeddedServer, embedded_command, embedded_server, find_model, free_port, serve, wait_ready
from actors.llm._endpoint import ENDPOINT_FILE, read_endpoint, write_endpoint
from actors.llm._errors import LLMError, LLMUnavailable
from actors.llm._probe import probe, probe_models

__all__ = [
    "ENDPOINT_FILE", "CircuitBreaker", "EmbeddedServer", "LLMClient", "LLMError", "LLMResult", "LLMStats",
    "LLMUnavailable", "embedded_command", "embedded_server", "find_model", "free_port", "probe", "probe_models",
    "read_endpoint", "serve", "wait_ready", "write_endpoint",
]
