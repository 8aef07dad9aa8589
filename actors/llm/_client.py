"""The OpenAI-compatible client: chat completions, with our own retries, against the endpoint
its source assigns to each request (`_source.py`: one known URL, or the supervisor's choice).

Retries are ours (the `openai` client runs with `max_retries=0`) so they are counted and
testable: connection errors, timeouts, 5xx, 429 and malformed answers are retried with
exponential backoff and jitter (429 honours `Retry-After`, capped), each try assigned afresh
(another endpoint may take it). Errors that retrying cannot fix (a key refused, a model the
server does not have or that cannot chat, a prompt beyond the context) are raised at once.
Every request goes through `_http.py`, the one HTTP path; `llm.stream` asks for streamed
answers (servers that only stream).
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from actors.llm._errors import LLMError, LLMUnavailable
from actors.llm._http import client_for, send
from actors.llm._source import Assignment, DirectSource
from ops.ground.config import LLMConfig


@dataclass
class LLMResult:
    """One completed call: the text and what it cost."""

    text: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_s: float  # wall time of the whole call, retries and backoff included
    tries: int  # HTTP requests made (1 = no retry)
    finish_reason: str
    settings: dict[str, Any] = field(default_factory=dict)  # what was sent, stored with the attempt

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LLMStats:
    calls: int = 0
    tries: int = 0
    retries: int = 0
    failures: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


class LLMClient:
    """Chat completions (one client per process). `source` decides where each request goes;
    without one, a DirectSource on `url`, else `cfg.url`, else `run_dir/llm.json` (the
    embedded model). `sleep`, `clock` and `rng` are injectable for tests."""

    def __init__(self, cfg: LLMConfig, *, url: str | None = None, run_dir: Path | None = None,
                 source: Any = None, backoff_base_s: float = 0.5, backoff_max_s: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.cfg = cfg
        self.source = source or DirectSource(cfg, url=url, run_dir=run_dir, clock=clock)
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.stats = LLMStats()
        self._stream_options = True  # dropped for a server that refuses stream_options

    # --- endpoint ------------------------------------------------------------------------
    @property
    def url(self) -> str | None:
        return self.source.url

    @property
    def model(self) -> str:
        return self.source.model

    @property
    def breaker(self) -> Any:
        """The local breaker (a DirectSource's); the supervisor keeps those of assigned endpoints."""
        return getattr(self.source, "breaker", None)

    def ready(self) -> None:
        """Raise LLMUnavailable (wait) or LLMError (a model problem) when no request may go out
        now: the builder's gate before it takes a task."""
        self.source.ready()

    def warm(self) -> None:
        """Import the HTTP client now (a second or more on a busy box), so the first call of the
        first attempt is not charged for it. Sends nothing and leaves `state()` as it was."""
        import openai.resources.chat.completions  # noqa: F401  (openai loads it lazily otherwise)

        # a throwaway client builds the lazily made parts (HTTP client, chat resource) once
        client_for("http://127.0.0.1:9/v1", "warm-up", 1.0).chat.completions  # noqa: B018

    def state(self) -> str:
        """For `builder.status`: "ok", "erroring: <error>", "down: <reason>" or "waiting: <why>"."""
        return self.source.state(self.stats.calls > 0)

    # --- the call ------------------------------------------------------------------------
    def settings(self, **overrides: Any) -> dict[str, Any]:
        s = {"url": self.url, "model": self.model, "temperature": self.cfg.temperature,
             "max_tokens": self.cfg.max_tokens, "seed": self.cfg.seed, "context_size": self.cfg.context_size}
        s.update({k: v for k, v in overrides.items() if v is not None})
        return s

    def chat(self, messages: list[dict[str, str]], *, temperature: float | None = None,
             max_tokens: int | None = None, stop: list[str] | None = None, seed: int | None = None) -> LLMResult:
        """One chat completion. Raises LLMUnavailable (nothing sent: wait and come back) or
        LLMError (sent, and failed: its `kind` says how). `temperature`, `max_tokens` and `seed`
        override the configuration for this call (the builder's sampling draws candidates with
        fixed seeds)."""
        start = self.clock()
        settings = self.settings(temperature=temperature, max_tokens=max_tokens, seed=seed)
        tries = 0
        while True:
            try:
                a = self.source.acquire()
            except LLMError as exc:
                exc.sent = exc.sent or tries > 0  # a retry the breaker or the supervisor stopped
                self.stats.failures += tries > 0
                raise
            tries += 1
            self.stats.tries += 1
            t0 = self.clock()
            try:
                out = self._request(a, messages, settings, stop)
            except LLMError as exc:
                self.source.done(a, exc, self.clock() - t0)
                if not exc.retryable or tries > self.cfg.retries:
                    self.stats.failures += 1
                    raise
                self.stats.retries += 1
                self.sleep(self._backoff(tries, exc))
                continue
            self.source.done(a, None, self.clock() - t0)
            break
        settings.update(url=a.url, model=a.model)
        result = LLMResult(text=out["text"], model=out["model"] or a.model, tokens_in=out["tokens_in"],
                           tokens_out=out["tokens_out"], latency_s=self.clock() - start, tries=tries,
                           finish_reason=out["finish_reason"], settings=settings)
        st = self.stats
        st.calls += 1
        st.tokens_in += result.tokens_in
        st.tokens_out += result.tokens_out
        st.latency_s += result.latency_s
        return result

    def _backoff(self, tries: int, exc: LLMError) -> float:
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (tries - 1))
        delay = delay * (0.5 + self.rng.random() / 2)  # jitter: builders sharing a server spread out
        if exc.retry_after is not None:
            delay = min(self.backoff_max_s, max(delay, exc.retry_after))
        return delay

    def _request(self, a: Assignment, messages: list[dict[str, str]], settings: dict[str, Any],
                 stop: list[str] | None) -> dict[str, Any]:
        """One HTTP request: the completion as {text, model, tokens_in, tokens_out, finish_reason}."""
        client = client_for(a.url, a.api_key, self.cfg.timeout_s)
        kw: dict[str, Any] = {"model": a.model, "messages": messages, "temperature": settings["temperature"],
                              "max_tokens": settings["max_tokens"], "seed": settings["seed"]}
        if stop:
            kw["stop"] = stop  # an explicit null upsets some servers
        if self.cfg.stream:
            return self._streamed(client, kw, messages)
        resp = send(lambda: client.chat.completions.create(**kw), self.cfg.timeout_s)
        if not getattr(resp, "choices", None):
            raise LLMError("bad response: the server answered with no choices", kind="bad_response")
        choice, usage = resp.choices[0], resp.usage
        return {"text": choice.message.content or "", "model": resp.model or "",
                "tokens_in": int(getattr(usage, "prompt_tokens", 0) or 0),
                "tokens_out": int(getattr(usage, "completion_tokens", 0) or 0),
                "finish_reason": choice.finish_reason or ""}

    def _streamed(self, client: Any, kw: dict[str, Any], messages: list[dict[str, str]]) -> dict[str, Any]:
        """A streamed completion, put together. Usage comes from the last chunk where the server
        sends it (`stream_options.include_usage`), else it is estimated (characters / 4)."""
        def run() -> dict[str, Any]:
            extra = {"stream_options": {"include_usage": True}} if self._stream_options else {}
            parts: list[str] = []
            out = {"model": "", "finish_reason": "", "tokens_in": 0, "tokens_out": 0}
            for chunk in client.chat.completions.create(stream=True, **kw, **extra):
                out["model"] = out["model"] or getattr(chunk, "model", "") or ""
                for choice in chunk.choices or []:
                    parts.append(getattr(choice.delta, "content", None) or "")
                    out["finish_reason"] = choice.finish_reason or out["finish_reason"]
                if getattr(chunk, "usage", None):
                    out["tokens_in"] = int(chunk.usage.prompt_tokens or 0)
                    out["tokens_out"] = int(chunk.usage.completion_tokens or 0)
            out["text"] = "".join(parts)
            if not out["tokens_out"]:
                out["tokens_in"] = sum(len(m.get("content") or "") for m in messages) // 4
                out["tokens_out"] = len(out["text"]) // 4
            return out
        try:
            return send(run, self.cfg.timeout_s)
        except LLMError as exc:
            if self._stream_options and exc.kind == "bad_request" and "stream_options" in str(exc):
                self._stream_options = False
                return send(run, self.cfg.timeout_s)
            raise

    def query(self, prompt: str, *, system: str | None = None, **kw: Any) -> LLMResult:
        """A single question (the trainer's task proposals)."""
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return self.chat(messages, **kw)
