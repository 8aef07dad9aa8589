"""Where a call goes: an endpoint source hands the client an `Assignment` (URL, model, key) for
each request and hears how it went.

    DirectSource  one endpoint known in this process: a URL, else the embedded model's
                  HOME/run/llm.json; the model chosen from its listing; a local circuit breaker.
                  For tools, tests and benches.
    BusSource     inside the daemon: the supervisor owns the endpoints (several servers, their
                  in-flight counts, a breaker each) and assigns one per request, least busy
                  first (`llm.assign`); each outcome goes back to it (`llm.done`), so `status`
                  shows what really happens.

Both raise `LLMUnavailable` when no request may go out now (the caller waits `retry_in`), and
`LLMError` for a model problem (model_not_found, not_chat) before any chat was sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from actors.llm._breaker import CircuitBreaker
from actors.llm._endpoint import read_endpoint
from actors.llm._errors import LLMError, LLMUnavailable
from actors.llm._http import list_models
from actors.llm._models import choose_model
from ops.ground.config import LLMConfig

MODEL_KINDS = frozenset({"model_not_found", "not_chat"})  # the model cannot be used: choose again
ASSIGN_TIMEOUT_S = 5.0


@dataclass
class Assignment:
    """Where one request goes. `ticket` is the supervisor's, for its in-flight count."""

    url: str
    model: str
    api_key: str
    ticket: str = ""


def counts_on_breaker(error: LLMError) -> bool:
    """Every endpoint error trips the breaker in the end, except a prompt too long for the
    context: that is the task's, and the caller trims it."""
    return error.kind != "context_length"


class DirectSource:
    """One endpoint: `url`, else `cfg.url`, else HOME/run/llm.json (`run_dir`), read again when it
    changes (a restarted embedded server on a new port)."""

    def __init__(self, cfg: LLMConfig, *, url: str | None = None, run_dir: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self._fixed_url = url or (cfg.urls[0] if cfg.urls else None)
        self.run_dir = run_dir
        self.breaker = CircuitBreaker(cfg.breaker_failures, cfg.breaker_reset_s, clock)
        self.model = ""
        self.refused: set[str] = set()  # models that answered "cannot chat" (auto-detection skips them)
        self._model_url: str | None = None
        self._waiting = ""  # why no request can go out yet
        self._hold_until = 0.0  # a named model that cannot chat: asked again only after this
        self._last_error = ""
        self.clock = clock

    @property
    def url(self) -> str | None:
        if self._fixed_url:
            return self._fixed_url
        info = read_endpoint(self.run_dir) if self.run_dir else None
        return info.get("url") if info else None

    def ready(self) -> None:
        """Raise when no request may go out now (no URL yet, breaker open, no usable model)."""
        self._endpoint()

    def acquire(self) -> Assignment:
        url, model = self._endpoint()
        return Assignment(url, model, self.cfg.api_key)

    def _endpoint(self) -> tuple[str, str]:
        url = self.url
        if not url:
            self._waiting = "embedded model not started yet" if self.run_dir else "no LLM URL configured"
            raise LLMUnavailable(f"waiting: {self._waiting}", retry_in=min(2.0, self.cfg.breaker_reset_s))
        if url != self._model_url:
            self.model, self._model_url, self._hold_until = "", url, 0.0  # a new server may serve another model
        if self.clock() < self._hold_until:
            raise LLMUnavailable(f"waiting: {self._waiting}", retry_in=self._hold_until - self.clock())
        if not self.breaker.allow():
            raise LLMUnavailable(f"down: {self.breaker.last_error}", retry_in=self.breaker.retry_in())
        if not self.model:
            try:
                self.model = self._choose(url)
            except LLMError as exc:
                self._waiting = str(exc) if exc.kind in MODEL_KINDS else ""
                self._failed(exc)
                exc.sent = False  # no chat went out
                raise
        self._waiting = ""
        return url, self.model

    def _choose(self, url: str) -> str:
        try:
            listed = list_models(url, self.cfg.api_key, min(self.cfg.timeout_s, 30.0))
        except LLMError as exc:
            if exc.status == 404 and self.cfg.model:  # no /models route: the named model on trust
                return self.cfg.model
            raise
        model = choose_model(listed, self.cfg.model, self.refused)
        self.breaker.success()
        return model

    def done(self, a: Assignment, error: LLMError | None, latency_s: float) -> None:
        if error is None:
            self.breaker.success()
            self._last_error = ""
            return
        if error.kind == "not_chat" and self.cfg.model:  # the operator's choice: hold, ask again later
            self._waiting = f"model {a.model!r} cannot chat ({error}): set llm.model to a chat model"
            self._hold_until = self.clock() + self.cfg.breaker_reset_s
        elif error.kind == "not_chat":
            self.refused.add(a.model)
        if error.kind in MODEL_KINDS:
            self.model = ""  # list and choose again (and say why) before the next request
        self._failed(error)

    def _failed(self, error: LLMError) -> None:
        self._last_error = str(error)
        if error.kind in MODEL_KINDS:
            self.breaker.success()  # it answered: the endpoint is alive, the model is the problem
        elif counts_on_breaker(error):
            self.breaker.failure(str(error))

    def state(self, contacted: bool) -> str:
        """For `builder.status`: ok, erroring, down, waiting."""
        if self._waiting:
            return f"waiting: {self._waiting}"
        if self.breaker.state != "closed":
            return f"down: {self.breaker.last_error or 'unreachable'} (retry in {self.breaker.retry_in():.0f}s)"
        if self._last_error:
            return f"erroring: {self._last_error}"
        return "ok" if contacted or self.model else "waiting: not contacted yet"


class BusSource:
    """Endpoints assigned by the supervisor: `ask(to, op, body, timeout)` and `tell(to, op, body)`
    are the actor's bus. The builder's gate before a lease (`ready`) asks only after a failure:
    while calls succeed it costs nothing."""

    def __init__(self, ask: Callable[..., dict], tell: Callable[..., None]) -> None:
        self.ask, self.tell = ask, tell
        self.url: str | None = None
        self.model = ""
        self._healthy = False
        self._why = "not contacted yet"  # the supervisor's last reason to wait, or the last error

    def ready(self) -> None:
        if not self._healthy:
            self._take(self._assign({"check": True}))

    def acquire(self) -> Assignment:
        return self._take(self._assign({}))

    def _assign(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.ask("supervisor", "llm.assign", body, timeout=ASSIGN_TIMEOUT_S)
        except Exception as exc:  # the supervisor is busy or restarting: wait a little
            return {"endpoint": None, "wait_s": 1.0, "reason": f"waiting: no endpoint assigned ({exc})"}

    def _take(self, reply: dict[str, Any]) -> Assignment:
        ep = reply.get("endpoint")
        if not isinstance(ep, dict):
            self._healthy = False
            self._why = str(reply.get("reason") or "waiting: no endpoint")
            raise LLMUnavailable(self._why, retry_in=max(0.1, float(reply.get("wait_s") or 1.0)))
        self.url, self.model = str(ep["url"]), str(ep["model"])
        return Assignment(self.url, self.model, str(ep.get("api_key") or ""), str(reply.get("ticket") or ""))

    def done(self, a: Assignment, error: LLMError | None, latency_s: float) -> None:
        self._healthy = error is None
        body: dict[str, Any] = {"ticket": a.ticket, "ok": error is None, "latency_s": round(latency_s, 4)}
        if error is not None:
            body.update(kind=error.kind, error=str(error)[:500])
            self._why = f"erroring: {error}"
        try:
            self.tell("supervisor", "llm.done", body)
        except Exception:  # the ticket expires on the supervisor's side
            pass

    def state(self, contacted: bool) -> str:
        return "ok" if self._healthy else (self._why if ":" in self._why else f"waiting: {self._why}")
