"""The OpenAI-compatible client: chat completions against one endpoint, with our own retries.

Retries are ours (the `openai` client runs with `max_retries=0`) so they are counted and
testable: connection errors, timeouts, 5xx and 429 are retried with exponential backoff and
jitter (429 honours `Retry-After`, capped). Every failed try counts towards the circuit
breaker (`_breaker.py`). Its requests go through the `openai` package (`_probe.py`'s do not, yet).
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from actors.llm._breaker import CircuitBreaker
from actors.llm._endpoint import read_endpoint
from actors.llm._errors import LLMError, LLMUnavailable
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


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class LLMClient:
    """Chat completions against one OpenAI-compatible endpoint (one client per builder process).

    `url` overrides the configuration; with neither, the URL is read from `run_dir/llm.json`
    (the embedded model). `sleep`, `clock` and `rng` are injectable for tests.
    """

    def __init__(self, cfg: LLMConfig, *, url: str | None = None, run_dir: Path | None = None,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.cfg = cfg
        self._fixed_url = url or cfg.url or None
        self.run_dir = run_dir
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.breaker = CircuitBreaker(cfg.breaker_failures, cfg.breaker_reset_s, clock)
        self.stats = LLMStats()
        self.model = cfg.model
        self._client: Any = None
        self._client_url: str | None = None
        self._waiting = ""  # why no URL is known yet

    # --- endpoint ------------------------------------------------------------------------
    @property
    def url(self) -> str | None:
        if self._fixed_url:
            return self._fixed_url
        info = read_endpoint(self.run_dir) if self.run_dir else None
        return info.get("url") if info else None

    def _openai(self) -> Any:
        url = self.url
        if not url:
            self._waiting = "embedded model not started yet" if self.run_dir else "no LLM URL configured"
            raise LLMUnavailable(f"waiting: {self._waiting}", retry_in=min(2.0, self.cfg.breaker_reset_s))
        self._waiting = ""
        if url != self._client_url:
            import openai

            # openai.Timeout is its HTTP library's timeout type: a dead host fails within 5 s,
            # a slow model may take the whole read timeout.
            self._client = openai.OpenAI(
                base_url=url, api_key=self.cfg.api_key or "not-needed", max_retries=0,
                timeout=openai.Timeout(self.cfg.timeout_s, connect=min(5.0, self.cfg.timeout_s)))
            self._client_url = url
            if not self.cfg.model:
                self.model = ""  # a new server may serve another model
        return self._client

    def warm(self) -> None:
        """Import the HTTP client now (a second or more on a busy box), so the first call of the
        first attempt is not charged for it. Sends nothing and leaves `state()` as it was."""
        import openai
        import openai.resources.chat.completions  # noqa: F401  (openai loads it lazily otherwise)

        # a throwaway client builds the lazily made parts (HTTP client, chat resource) once
        openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="warm-up", max_retries=0).chat.completions  # noqa: B018

    def state(self) -> str:
        """For `status`: "ok", "down: <reason>" or "waiting: <why>"."""
        if self._waiting:
            return f"waiting: {self._waiting}"
        if self.breaker.state != "closed":
            return f"down: {self.breaker.last_error or 'unreachable'} (retry in {self.breaker.retry_in():.0f}s)"
        return "ok" if self.stats.calls or self._client_url else "waiting: not contacted yet"

    # --- the call ------------------------------------------------------------------------
    def _try(self, fn: Callable[[Any], Any]) -> Any:
        """One HTTP request under the breaker; errors become LLMError with retryable set."""
        import openai

        if not self.breaker.allow():
            raise LLMUnavailable(f"down: {self.breaker.last_error}", retry_in=self.breaker.retry_in())
        client = self._openai()
        self.stats.tries += 1
        try:
            out = fn(client)
        except openai.APITimeoutError:
            err = LLMError(f"timeout after {self.cfg.timeout_s:g}s", retryable=True)
        except openai.APIConnectionError as exc:
            err = LLMError(f"connection failed: {exc.__cause__ or exc}", retryable=True)
        except openai.APIStatusError as exc:
            err = LLMError(f"HTTP {exc.status_code}: {_short(_STATUS_PREFIX.sub('', exc.message))}",
                           retryable=_is_retryable_status(exc.status_code), status=exc.status_code)
            err.retry_after = _retry_after(exc)  # type: ignore[attr-defined]
        except openai.OpenAIError as exc:  # malformed answers and the like
            err = LLMError(f"bad response: {_short(str(exc))}", retryable=True)
        else:
            self.breaker.success()
            return out
        if err.retryable:
            self.breaker.failure(str(err))
        else:  # it answered (400, 401, 404 ...): alive, though unhappy with us
            self.breaker.success()
        raise err

    def _with_retries(self, fn: Callable[[Any], Any]) -> tuple[Any, int]:
        tries = 0
        while True:
            tries += 1
            try:
                return self._try(fn), tries
            except LLMUnavailable:
                raise
            except LLMError as exc:
                if not exc.retryable:
                    self.stats.failures += 1
                    raise
                if self.breaker.state != "closed" or tries > self.cfg.retries:
                    # retries spent or breaker opened by this failure: the endpoint is unwell, so
                    # the caller waits (and gives its task back) instead of failing the task
                    self.stats.failures += 1
                    raise LLMUnavailable(f"down: {exc}", retry_in=self.breaker.retry_in() or self.backoff_max_s) from exc
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (tries - 1))
                delay = delay * (0.5 + self.rng.random() / 2)  # jitter: builders sharing a server spread out
                ra = getattr(exc, "retry_after", None)
                if ra is not None:
                    delay = min(self.backoff_max_s, max(delay, ra))
                self.stats.retries += 1
                self.sleep(delay)

    def resolve_model(self) -> str:
        """The configured model, else the first one `GET /v1/models` lists."""
        if self.model:
            return self.model
        page, _ = self._with_retries(lambda c: c.models.list())
        models = [m.id for m in page.data]
        if not models:
            raise LLMError("the server lists no models (GET /v1/models)")
        self.model = models[0]
        return self.model

    def settings(self, **overrides: Any) -> dict[str, Any]:
        s = {"url": self.url, "model": self.model, "temperature": self.cfg.temperature,
             "max_tokens": self.cfg.max_tokens, "seed": self.cfg.seed, "context_size": self.cfg.context_size}
        s.update({k: v for k, v in overrides.items() if v is not None})
        return s

    def chat(self, messages: list[dict[str, str]], *, temperature: float | None = None,
             max_tokens: int | None = None, stop: list[str] | None = None, seed: int | None = None) -> LLMResult:
        """One chat completion. Raises LLMUnavailable (wait and retry later) or LLMError.
        `temperature`, `max_tokens` and `seed` override the configuration for this call
        (the builder's sampling draws candidates with fixed seeds)."""
        start = self.clock()
        model = self.resolve_model()
        settings = self.settings(temperature=temperature, max_tokens=max_tokens, seed=seed)
        settings["model"] = model

        extra = {"stop": stop} if stop else {}  # an explicit null upsets some servers

        def call(c: Any) -> Any:
            return c.chat.completions.create(
                model=model, messages=messages, temperature=settings["temperature"],
                max_tokens=settings["max_tokens"], seed=settings["seed"], **extra)

        resp, tries = self._with_retries(call)
        if not resp.choices:
            raise LLMError("the server answered with no choices")
        choice = resp.choices[0]
        usage = resp.usage
        result = LLMResult(
            text=choice.message.content or "", model=resp.model or model,
            tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_s=self.clock() - start, tries=tries, finish_reason=choice.finish_reason or "", settings=settings)
        st = self.stats
        st.calls += 1
        st.tokens_in += result.tokens_in
        st.tokens_out += result.tokens_out
        st.latency_s += result.latency_s
        return result

    def query(self, prompt: str, *, system: str | None = None, **kw: Any) -> LLMResult:
        """A single question (the trainer's task proposals)."""
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return self.chat(messages, **kw)


_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")  # openai's prefix; we say it shorter


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _retry_after(exc: Any) -> float | None:
    try:
        return float(exc.response.headers.get("retry-after"))
    except (AttributeError, TypeError, ValueError):
        return None
