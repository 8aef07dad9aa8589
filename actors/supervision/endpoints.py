"""The LLM endpoints the supervisor owns: which model servers there are, how busy each is, its
circuit breaker, and what `status` says about it. Pure: the clock is passed in, HTTP happens
in the prober's threads (`prober.py`), messages in the supervisor.

Builders are separate processes, so one place owns the counts: each request a builder (or the
trainer) makes is assigned here (`llm.assign`) to the least busy endpoint that can take it, and
its outcome comes back (`llm.done`). An endpoint can take a request when its model is known
(chosen from its listing: `actors.llm.choose_model`), its breaker is closed, its last probe
did not find it refusing the key or the connection, and it is under `max_concurrency`. A
breaker opens after `llm.breaker_failures` endpoint errors in a row (at once for a named model
that cannot chat); after `llm.breaker_reset_s` the prober sends a one-token trial chat, off
every task's path, and only its success closes it again. So a broken endpoint costs no task.

What `status` says about each endpoint is `llmstate.endpoint_state`, from these figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from actors.llm import CircuitBreaker, Probe
from actors.supervision.llmstate import BLOCKING, endpoint_state
from ops.ground.config import llm_endpoints

PROBE_S = 2.0  # each endpoint's model listing, this often
PROBE_TIMEOUT_S = 2.0  # once its model is known (slower: busy, or down)
FIRST_PROBE_TIMEOUT_S = 15.0  # to learn the model, a slow listing is waited for
CALL_SLACK_S = 30.0  # a ticket not reported this long after llm.timeout_s is forgotten


def endpoint_specs(cfg: Any, children: list[Any]) -> list[dict[str, Any]]:
    """The table's endpoints: the configured servers (`llm_endpoints`), else the embedded
    server children (`ChildSpec`s of kind llm), each with the `[llm]` model and key."""
    configured = llm_endpoints(cfg)
    if configured:
        return configured
    return [{"url": c.url, "model": cfg.llm.model, "api_key": cfg.llm.api_key, "max_concurrency": 0, "child": c.name}
            for c in children if c.kind == "llm" and c.url]


@dataclass
class Endpoint:
    url: str
    wanted: str = ""  # the configured model name
    api_key: str = ""
    max_concurrency: int = 0  # 0: no limit
    child: str = ""  # the embedded server child that serves it
    model: str = ""  # in use: chosen from the last good listing
    problem: str = ""  # why no request can go (the model is unknown or cannot chat)
    refused: set[str] = field(default_factory=set)  # models that answered "cannot chat"
    probe: Probe | None = None
    probing: bool = False  # a probe or trial is out
    next_probe: float = 0.0
    in_flight: dict[str, tuple[str, float]] = field(default_factory=dict)  # ticket -> (sender, since)
    assigned: int = 0
    calls: int = 0
    errors: int = 0
    last_ok: float | None = None
    last_error: str = ""
    last_error_at: float | None = None
    breaker: CircuitBreaker | None = None

    @property
    def usable_model(self) -> str:
        """What a request would ask for: the chosen model, else the configured name (a server
        not listed yet, or without /models)."""
        return "" if self.problem else (self.model or self.wanted)


class EndpointTable:
    """The endpoints, their tickets (requests in flight) and the jobs for the prober."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self.breaker_failures, self.breaker_reset_s, self.timeout_s, self.stream = 5, 30.0, 120.0, False
        self.clock, self.wall = clock, wall
        self.endpoints: list[Endpoint] = []
        self.tickets: dict[str, Endpoint] = {}
        self._next_ticket = 0
        self._kinds: dict[str, str] = {}  # url -> the kind of state last published
        self.next_check = 0.0  # when the states are next looked at for events (actors/control/llm.py)

    # --- configuration --------------------------------------------------------------
    def configure(self, specs: list[dict[str, Any]], llm: Any = None) -> None:
        """The endpoints ({url, model, api_key, max_concurrency, child}: `endpoint_specs`) and the
        `[llm]` settings (breaker, timeout, stream). One already known by its URL keeps its
        counts and state (a reload changes no figure)."""
        if llm is not None:
            self.breaker_failures, self.breaker_reset_s = llm.breaker_failures, llm.breaker_reset_s
            self.timeout_s, self.stream = llm.timeout_s, llm.stream
        old = {ep.url: ep for ep in self.endpoints}
        new = []
        for spec in specs:
            ep = old.pop(spec["url"], None) or Endpoint(spec["url"])
            changed = (ep.wanted, ep.api_key) != (spec.get("model") or "", spec.get("api_key") or "")
            ep.wanted, ep.api_key = spec.get("model") or "", spec.get("api_key") or ""
            ep.max_concurrency, ep.child = int(spec.get("max_concurrency") or 0), spec.get("child") or ""
            if changed:  # another model or key: choose and probe again
                ep.model, ep.problem, ep.refused, ep.probe, ep.next_probe = "", "", set(), None, 0.0
            ep.breaker = CircuitBreaker(self.breaker_failures, self.breaker_reset_s, self.clock) \
                if ep.breaker is None or changed else ep.breaker
            ep.breaker.threshold, ep.breaker.reset_s = max(1, self.breaker_failures), self.breaker_reset_s
            new.append(ep)
        for gone in old.values():  # requests in flight there are forgotten with it
            for t in gone.in_flight:
                self.tickets.pop(t, None)
        self.endpoints = new

    # --- requests -----------------------------------------------------------------------
    def assign(self, sender: str, now: float, check: bool = False) -> dict[str, Any]:
        """The least busy endpoint that can take a request now, with a ticket for its outcome
        (none when `check`: is there one?), or how long to wait and why."""
        ready = [ep for ep in self.endpoints if self._ready(ep)]
        free = [ep for ep in ready if not ep.max_concurrency or len(ep.in_flight) < ep.max_concurrency]
        if not free:
            return self._wait(ready, now)
        ep = min(free, key=lambda e: (len(e.in_flight) / (e.max_concurrency or 1), e.assigned,
                                      self.endpoints.index(e)))
        reply: dict[str, Any] = {"endpoint": {"url": ep.url, "model": ep.usable_model, "api_key": ep.api_key}}
        if not check:
            self._next_ticket += 1
            ticket = f"{self._next_ticket:x}"
            ep.in_flight[ticket] = (sender, now)
            ep.assigned += 1
            self.tickets[ticket] = ep
            reply["ticket"] = ticket
        return reply

    @staticmethod
    def _ready(ep: Endpoint) -> bool:
        """Can `ep` take a request now (its max_concurrency aside)?"""
        return (ep.breaker is not None and ep.breaker.state == "closed" and bool(ep.usable_model)
                and (ep.probe is None or ep.probe.kind not in BLOCKING))

    def _wait(self, ready: list[Endpoint], now: float) -> dict[str, Any]:
        """How long to wait and why: the state `status` shows for the endpoint (each endpoint's,
        when there are several)."""
        if ready:
            return {"endpoint": None, "wait_s": 0.2, "reason": "waiting: every endpoint is at its max_concurrency"}
        if not self.endpoints:
            return {"endpoint": None, "wait_s": 2.0, "reason": "waiting: no LLM endpoint configured"}
        waits = [ep.breaker.retry_in() if ep.breaker is not None and ep.breaker.state != "closed"
                 else PROBE_S for ep in self.endpoints]
        wall = self.wall()
        states = [endpoint_state(ep, now, None, wall) for ep in self.endpoints]
        reason = states[0] if len(states) == 1 else "; ".join(f"{ep.url}: {st}" for ep, st in zip(self.endpoints, states))
        return {"endpoint": None, "wait_s": max(0.2, min(waits)), "reason": reason}

    def done(self, ticket: str, ok: bool, kind: str, error: str, now: float) -> None:
        """A request's outcome, as its builder reports it."""
        ep = self.tickets.pop(ticket, None)
        if ep is None:  # expired, or its endpoint was removed by a reload
            return
        ep.in_flight.pop(ticket, None)
        ep.calls += 1
        if ok:
            ep.last_ok = now
            ep.breaker.success()
            return
        ep.errors += 1
        ep.last_error, ep.last_error_at = error or kind, now
        if kind == "not_chat" and ep.wanted:  # the operator's model: held until a trial chat works
            ep.breaker.trip(error)
        elif kind == "not_chat":
            ep.refused.add(ep.model)
            ep.model, ep.next_probe = "", now  # another chat model from the listing
        elif kind == "model_not_found":
            ep.model, ep.next_probe = "", now
        if kind != "context_length" and kind != "not_chat":
            ep.breaker.failure(ep.last_error)
        if kind in BLOCKING:
            ep.next_probe = now  # look now: is it gone, or refusing the key?

    def forget(self, sender: str) -> None:
        """`sender` exited: its requests in flight will never be reported."""
        for ep in self.endpoints:
            for t in [t for t, (who, _) in ep.in_flight.items() if who == sender]:
                del ep.in_flight[t]
                self.tickets.pop(t, None)

    def expire(self, now: float) -> None:
        limit = self.timeout_s + CALL_SLACK_S
        for ep in self.endpoints:
            for t in [t for t, (_, since) in ep.in_flight.items() if now - since > limit]:
                del ep.in_flight[t]
                self.tickets.pop(t, None)

    # --- probes and trials -------------------------------------------------------------
    def jobs(self, now: float) -> list[dict[str, Any]]:
        """What the prober should do now: a trial chat where a breaker is half-open, else a
        model listing where one is due. Each endpoint has at most one job out."""
        out = []
        for ep in self.endpoints:
            if ep.probing:
                continue
            base = {"url": ep.url, "api_key": ep.api_key}
            if ep.breaker.state == "half-open" and (ep.model or ep.wanted):
                ep.breaker.allow()  # the trial holds the gate: no second one meanwhile
                out.append({**base, "job": "trial", "model": ep.model or ep.wanted, "timeout_s": self.timeout_s,
                            "stream": self.stream})
            elif now >= ep.next_probe:
                out.append({**base, "job": "probe", "wanted": ep.wanted, "refused": sorted(ep.refused),
                            "timeout_s": PROBE_TIMEOUT_S if ep.model else FIRST_PROBE_TIMEOUT_S})
            else:
                continue
            ep.probing = True
        return out

    def apply(self, job: dict[str, Any], result: Any, now: float) -> None:
        """A job's result: a Probe for a listing; None (it answered) or the error for a trial."""
        ep = next((e for e in self.endpoints if e.url == job["url"]), None)
        if ep is None:
            return
        ep.probing = False
        if job["job"] == "trial":
            if result is None:
                ep.breaker.success()
                ep.problem, ep.last_ok = "", now
            else:
                ep.breaker.failure(str(result))
                ep.last_error, ep.last_error_at = str(result), now
            return
        ep.next_probe = now + PROBE_S
        ep.probe = result
        if result.ok:
            ep.model, ep.problem = result.model, ""
        elif result.state.startswith("waiting: "):  # it answered, without a model to use
            ep.model, ep.problem = "", result.state.removeprefix("waiting: ")

    # --- status ----------------------------------------------------------------------------
    def rows(self, now: float, child_states: dict[str, str]) -> list[dict[str, Any]]:
        wall = self.wall()
        return [{"url": ep.url, "model": ep.usable_model or ep.wanted,
                 "state": endpoint_state(ep, now, child_states.get(ep.child) if ep.child else None, wall),
                 "in_flight": len(ep.in_flight), "calls": ep.calls, "errors": ep.errors,
                 "max_concurrency": ep.max_concurrency, "last_error": ep.last_error}
                for ep in self.endpoints]

    def status(self, now: float, child_states: dict[str, str], note: str = "") -> dict[str, Any]:
        """`status`'s `llm`: the first endpoint's url, model and state (for scripts written for
        one endpoint) and every endpoint under `endpoints`."""
        rows = self.rows(now, child_states)
        if not rows:
            return {"url": "", "model": "", "endpoints": [],
                    "state": f"down: {note or 'no LLM URL configured and no embedded model'}"}
        return {"url": rows[0]["url"], "model": rows[0]["model"], "state": rows[0]["state"], "endpoints": rows}

    def changes(self, rows: list[dict[str, Any]], kind: Callable[[str], str | None]) -> list[dict[str, Any]]:
        """The endpoints whose kind of state changed since the last call: {url, state, was}."""
        out = []
        for row in rows:
            k = kind(row["state"])
            if k is not None and k != self._kinds.get(row["url"]):
                out.append({"url": row["url"], "state": row["state"], "was": self._kinds.get(row["url"], "")})
                self._kinds[row["url"]] = k
        return out
