"""What `status` says about an LLM endpoint: one pure function over what the supervisor knows of
it (its embedded server child, if any; its breaker; the outcomes of the calls builders made
through it; the prober's last model listing). States, first match wins:

    starting                          the embedded server child is loading
    down: the embedded model ...      that child exited, keeps crashing, or is stopped
    breaker open until HH:MM:SS: ...  endpoint errors in a row; a trial chat closes it
    waiting: <why>                    it answers, but has no model a call could use
    erroring: <last error>            the latest call outcome (within RECENT_S) was an error
    busy                              the listing is slow or times out while calls run or
                                      succeed: the server is generating, not down
    ok                                it lists a usable model, or calls succeed
    down: <reason>                    the listing fails and no call succeeded lately
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors.supervision.endpoints import Endpoint

CHILD_DOWN = {
    "backoff": "down: the embedded model server exited; restarting",
    "fatal": "down: the embedded model server keeps crashing (restart limit); 'cogloop restart {name}' retries",
    "stopped": "down: the embedded model server is stopped",
}
RECENT_S = 60.0  # call outcomes this recent say how an endpoint is doing
SLOW_PROBE_S = 1.0  # a listing slower than this while calls run: the server is generating
BLOCKING = frozenset({"auth", "connection"})  # a listing failing so means every call would too
KINDS = ("ok", "busy", "starting", "waiting", "erroring", "breaker open", "down")


def endpoint_state(ep: Endpoint, now: float, child_state: str | None, wall_now: float) -> str:
    """What `status` says about one endpoint."""
    if child_state == "starting":
        return "starting"
    if child_state in CHILD_DOWN:
        return CHILD_DOWN[child_state].format(name=ep.child)
    b = ep.breaker
    if b is not None and b.state != "closed":
        until = time.strftime("%H:%M:%S", time.localtime(wall_now + b.retry_in()))
        return f"breaker open until {until}: {b.last_error}"
    if ep.problem:
        return f"waiting: {ep.problem}"
    recent_ok = ep.last_ok is not None and now - ep.last_ok < RECENT_S
    if ep.last_error_at is not None and now - ep.last_error_at < RECENT_S and \
            (ep.last_ok is None or ep.last_error_at > ep.last_ok):
        return f"erroring: {ep.last_error}"
    p = ep.probe
    slow = p is not None and (p.kind == "timeout" or (p.ok and p.latency_s > SLOW_PROBE_S))
    if (slow or p is None) and (ep.in_flight or recent_ok):
        return "busy" if slow else "ok"
    if p is None:
        return "waiting: not probed yet"
    if p.ok or (recent_ok and p.kind not in BLOCKING):
        return "ok"
    return p.state


def state_kind(state: str) -> str | None:
    """The kind of a state an event records a change of: `busy` counts as `ok` (a generating
    server is healthy), and None before the first probe (nothing is known yet)."""
    if state.startswith("waiting: not probed"):
        return None
    kind = next((k for k in KINDS if state.startswith(k)), None)
    return "ok" if kind == "busy" else kind
