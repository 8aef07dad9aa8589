"""The pure rule that turns what the supervisor knows of an endpoint (its embedded server child,
its breaker, the builders' call outcomes, the last model listing) into status' `llm.state`."""

import time

import pytest

from actors.llm import CircuitBreaker, Probe
from actors.supervision.endpoints import Endpoint
from actors.supervision.llmstate import endpoint_state, state_kind

pytestmark = pytest.mark.unit

OK = Probe("ok", "m", ["m"], "", 0.01)
TIMED_OUT = Probe("down: timeout: no answer in 2s", "", [], "timeout", 2.0)
REFUSED = Probe("down: connection failed: [Errno 111] Connection refused", "", [], "connection", 0.001)


def ep(**kw: object) -> Endpoint:
    e = Endpoint("http://x/v1", breaker=CircuitBreaker(3, 30, clock=lambda: 100.0))
    for k, v in kw.items():
        setattr(e, k, v)
    return e


def state(e: Endpoint, child: str | None = None, now: float = 100.0) -> str:
    return endpoint_state(e, now, child, wall_now=0.0)


def test_embedded_child_states_come_first() -> None:
    assert state(ep(probe=REFUSED, child="llm"), "starting") == "starting"
    assert state(ep(probe=OK, child="llm"), "backoff").startswith("down: the embedded model server exited")
    assert "cogloop restart llm-2" in state(ep(child="llm-2"), "fatal")
    assert state(ep(probe=OK, child="llm"), "running") == "ok"


def test_a_server_generating_is_busy_never_down() -> None:
    # the listing times out (llama.cpp answers /v1/models late while it generates) while a call runs
    assert state(ep(probe=TIMED_OUT, in_flight={"1": ("builder-1", 99.0)})) == "busy"
    # ... or calls succeeded lately, even if no listing ever answered in time (slow from the start)
    assert state(ep(probe=TIMED_OUT, last_ok=80.0)) == "busy"
    assert state(ep(probe=None, last_ok=80.0)) == "ok"
    assert state(ep(probe=Probe("ok", "m", ["m"], "", 1.7), in_flight={"1": ("b", 99.0)})) == "busy"
    # nothing running and nothing answered lately: the silence means down
    assert state(ep(probe=TIMED_OUT, last_ok=10.0)) == "down: timeout: no answer in 2s"


def test_call_outcomes_beat_a_good_listing() -> None:
    e = ep(probe=OK, last_ok=50.0, last_error="HTTP 500: CUDA error: out of memory", last_error_at=90.0)
    assert state(e) == "erroring: HTTP 500: CUDA error: out of memory"
    assert state(e, now=200.0) == "ok"  # an old error is history
    e.last_ok = 95.0
    assert state(e) == "ok"  # a success since


def test_an_open_breaker_says_until_when_and_why() -> None:
    e = ep(probe=OK)
    for _ in range(3):
        e.breaker.failure("HTTP 500: boom")
    until = time.strftime("%H:%M:%S", time.localtime(30))  # wall clock 0 + the 30 s reset
    assert state(e) == f"breaker open until {until}: HTTP 500: boom"


def test_waiting_refused_and_not_probed() -> None:
    assert state(ep(problem="the server does not list model 'x' (it lists y)")) == \
        "waiting: the server does not list model 'x' (it lists y)"
    assert state(ep(probe=REFUSED, last_ok=95.0)).startswith("down: connection failed")  # gone, whatever it did
    assert state(ep()) == "waiting: not probed yet"


def test_state_kinds_for_events() -> None:
    assert state_kind("busy") == state_kind("ok") == "ok"
    assert state_kind("waiting: not probed yet") is None
    assert state_kind("breaker open until 10:00:00: x") == "breaker open"
    assert [state_kind(s) for s in ("erroring: x", "down: y", "waiting: z", "starting")] == \
        ["erroring", "down", "waiting", "starting"]
