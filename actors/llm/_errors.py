"""What a failed call raises, and which kind of failure it was.

`LLMError` for a call that failed, `LLMUnavailable` when no request could be sent (breaker
open, no URL yet, the supervisor says wait). Every error has a `kind`, so callers decide by
kind and never by message text:

    connection      refused, reset, DNS: nothing answered             retried, counts on the breaker
    timeout         no answer within llm.timeout_s                    retried, counts on the breaker
    server          HTTP 5xx                                          retried, counts on the breaker
    rate_limited    HTTP 429 (Retry-After honoured)                   retried, counts on the breaker
    bad_response    an answer that is not a completion                retried, counts on the breaker
    auth            HTTP 401/403: a missing or wrong key              not retried
    model_not_found a 404/400/422 saying the model is unknown         not retried
    not_chat        the model cannot chat (an embedding model ...)    not retried
    context_length  the prompt and max_tokens exceed the context      not retried: trim and try once more
    bad_request     any other 4xx (a 404 naming no model: a wrong URL) not retried
    unavailable     nothing was sent (LLMUnavailable)

None of them is an answer of the model, so none becomes an attempt (docs/builder.md).
`sent` says whether a request went out for the failed call: a task that never reached the
endpoint has lost nothing.
"""

from __future__ import annotations

import re
from typing import Any

RETRYABLE = frozenset({"connection", "timeout", "server", "rate_limited", "bad_response"})


class LLMError(Exception):
    """A call failed (after retries, or with an error that retrying cannot fix)."""

    def __init__(self, message: str, *, retryable: bool | None = None, status: int | None = None,
                 kind: str = "bad_request", sent: bool = True) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = kind in RETRYABLE if retryable is None else retryable
        self.status = status
        self.sent = sent
        self.retry_after: float | None = None  # the server's Retry-After, seconds
        self.limit: int | None = None  # context_length: the context size the server named, if it did


class LLMUnavailable(LLMError):
    """No request could be sent: the caller should wait `retry_in` seconds."""

    def __init__(self, message: str, retry_in: float, *, kind: str = "unavailable", sent: bool = False) -> None:
        super().__init__(message, retryable=True, kind=kind, sent=sent)
        self.retry_in = retry_in


_CONTEXT = re.compile(r"context[ _](length|size|window)|context (is )?too (long|large)|maximum context|too many tokens|n_ctx|"
                      r"exceeds? the (available )?context|prompt is too long|input is too long", re.I)
_MODEL_UNKNOWN = re.compile(r"model.{0,80}(not found|does not exist|not exist|unknown|no such|not loaded|"
                            r"not available)|(unknown|invalid) model|no model", re.I)
_NOT_CHAT = re.compile(r"not a chat model|(is an|an?) embeddings? model|does not support chat|chat completions? "
                       r"(is|are) not supported|no chat template|not support(ed)? for chat|cannot chat|"
                       r"not an? llm|only (supports )?(completions|embeddings)", re.I)
_LIMIT = re.compile(r"(?:maximum context length is|context (?:size|window|length)(?: of| is)?|n_ctx[ =:]*)\s*(\d{3,7})",
                    re.I)


def classify(status: int, text: str, code: str = "") -> str:
    """The kind of an HTTP error answer, from its status and the server's own message and code."""
    code = (code or "").lower()
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server"
    if code in ("context_length_exceeded", "exceed_context_size_error") or _CONTEXT.search(text):
        return "context_length"
    if _NOT_CHAT.search(text):
        return "not_chat"
    if code == "model_not_found" or _MODEL_UNKNOWN.search(text) or (status == 404 and "model" in text.lower()):
        return "model_not_found"
    return "bad_request"  # a 404 that names no model is a wrong URL (llm.url must end in /v1)


def context_limit(text: str) -> int | None:
    """The context size an error message names (llama.cpp, vLLM, OpenAI wording), if any."""
    m = _LIMIT.search(text)
    return int(m.group(1)) if m else None


def server_text(body: Any, raw: str = "") -> tuple[str, str]:
    """(message, code) from an error body, whatever shape the server gives it: OpenAI's
    {"error": {"message", "code"}}, Ollama's {"error": "..."}, FastAPI's {"detail": ...},
    {"message": ...}, or plain text."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err.get("msg")
            code = err.get("code") or err.get("type") or ""
            if msg:
                return _short(msg), str(code)
        elif isinstance(err, str) and err:
            return _short(err), ""
        detail = body.get("detail") or body.get("message")
        if detail:
            return _short(detail if isinstance(detail, str) else str(detail)), ""
    if isinstance(body, str) and body.strip():
        return _short(body), ""
    return _short(raw), ""


def _short(text: Any, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."
