"""The one HTTP path to model servers: calls, probes, readiness and `cogloop doctor` all go
through an `openai` client made here, with the configured key, and every failure comes out as
a classified `LLMError` (kinds in `_errors.py`) that keeps the server's own words.

`openai` is imported on first use (a second or more of CPU): importing this module is cheap.
The client runs with `max_retries=0`: retries are the caller's, so they are counted.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

from actors.llm._errors import LLMError, classify, context_limit, server_text

T = TypeVar("T")
CONNECT_S = 5.0  # a dead host fails within this, whatever the read timeout
_clients: dict[tuple[str, str, float], Any] = {}
_lock = threading.Lock()


def client_for(url: str, api_key: str, timeout_s: float) -> Any:
    """An `openai.OpenAI` for this base URL, key and timeout (made once, then shared: the
    client is thread-safe and keeps its connections alive)."""
    key = (url, api_key or "", float(timeout_s))
    with _lock:
        client = _clients.get(key)
    if client is None:
        import openai

        # openai.Timeout is its HTTP library's timeout type: a dead host fails within CONNECT_S,
        # a slow model may take the whole read timeout.
        client = openai.OpenAI(base_url=url, api_key=api_key or "not-needed", max_retries=0,
                               timeout=openai.Timeout(timeout_s, connect=min(CONNECT_S, timeout_s)))
        with _lock:
            client = _clients.setdefault(key, client)
    return client


def send(fn: Callable[[], T], timeout_s: float) -> T:
    """Run one request; its failure as an LLMError of the right kind."""
    import openai

    try:
        return fn()
    except openai.APITimeoutError:
        raise LLMError(f"timeout: no answer in {timeout_s:g}s", kind="timeout") from None
    except openai.APIConnectionError as exc:
        raise LLMError(f"connection failed: {exc.__cause__ or exc}", kind="connection") from None
    except openai.APIStatusError as exc:
        raise status_error(exc) from None
    except openai.OpenAIError as exc:  # an answer that is not what the API says (not JSON, no choices)
        raise LLMError(f"bad response: {' '.join(str(exc).split())[:300]}", kind="bad_response") from None


def status_error(exc: Any) -> LLMError:
    """An HTTP error answer as an LLMError: `HTTP 400: <the server's message>`."""
    raw = ""
    try:
        raw = exc.response.text
    except Exception:  # a streamed answer already closed
        pass
    message, code = server_text(exc.body, raw)
    if not message:
        message, code = server_text(None, raw)
    kind = classify(exc.status_code, message, code)
    err = LLMError(f"HTTP {exc.status_code}: {message or 'no message'}", status=exc.status_code, kind=kind)
    try:
        err.retry_after = float(exc.response.headers.get("retry-after"))
    except (AttributeError, TypeError, ValueError):
        pass
    if kind == "context_length":
        err.limit = context_limit(message)
    return err


def list_models(url: str, api_key: str, timeout_s: float) -> list[dict[str, Any]]:
    """`GET /models` as the server lists it: one dict per model (`id`, and whatever else the
    server says: LM Studio's `type`, llama.cpp's `meta`, Ollama's `owned_by` ...)."""
    client = client_for(url, api_key, timeout_s)
    data = send(lambda: client.get("/models", cast_to=object), timeout_s)
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise LLMError("bad response: GET /models did not answer a list of models", kind="bad_response")
    return [m for m in items if isinstance(m, dict) and isinstance(m.get("id"), str) and m["id"]]


def trial_chat(url: str, api_key: str, model: str, timeout_s: float, stream: bool = False) -> None:
    """A one-token chat: does this endpoint answer chats now? (An open breaker's trial, made
    off every task's path.) Raises LLMError."""
    client = client_for(url, api_key, timeout_s)

    def ask() -> None:
        out = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Say OK."}],
                                             max_tokens=1, temperature=0.0, stream=stream)
        if stream:
            for _ in out:
                pass
    send(ask, timeout_s)
