"""A child's lifecycle as a pure state machine (actors/supervision/lifecycle.py): the clock is an
argument and every transition says what to do; no process is started here."""

from __future__ import annotations

import signal

import pytest

from actors.supervision.lifecycle import (BACKOFF, FATAL, RUNNING, STARTING, STOPPED, FailBacklog, FailForwards,
                                          Forget, Lifecycle, Publish, Ready, Signal, Spawn, Tell, Timing,
                                          exit_reason)
from actors.supervision.policy import RestartPolicy, RestartTracker

pytestmark = pytest.mark.unit

TIMING = Timing(grace_s=1.0, start_timeout_s=10.0, silent_s=2.0)


def life(intensity: int = 3, **kw) -> Lifecycle:
    policy = RestartPolicy(intensity=intensity, period_s=30.0, backoff_s=0.5, backoff_max_s=5.0)
    return Lifecycle("echo-1", RestartTracker(policy), TIMING, **kw)


def topics(actions) -> list[str]:
    return [a.topic for a in actions if isinstance(a, Publish)]


def published(actions, topic: str) -> dict:
    return next(a.body for a in actions if isinstance(a, Publish) and a.topic == topic)


def running(now: float = 0.0, pid: int = 100, **kw) -> Lifecycle:
    lc = life(**kw)
    lc.started(pid, now)
    lc.heartbeat(pid, now + 0.1)
    return lc


def test_started_then_first_heartbeat_is_running_and_ready():
    lc = life()
    assert lc.state == STOPPED
    out = lc.started(100, 0.0)
    assert lc.state == STARTING and out == [Publish("child.state", {"name": "echo-1", "state": STARTING, "pid": 100,
                                                                    "restarts": 0})]
    out = lc.heartbeat(100, 0.2)
    assert lc.state == RUNNING and lc.routable and topics(out) == ["child.state"] and out[-1] == Ready()
    assert lc.heartbeat(100, 0.4) == []  # already running: nothing to do
    assert lc.uptime_s(1.2) == 1.2


def test_heartbeats_not_ours_are_refused():
    lc = running()
    assert lc.heartbeat(999, 1.0) is None  # a stale incarnation
    lc.end("restart", True, 1.0)
    assert lc.heartbeat(100, 1.1) is None  # being ended: no ack, no routing
    assert life().heartbeat(100, 0.0) is None  # no process at all


def test_first_crash_restarts_at_once_then_backoff_then_fatal():
    lc = running()
    out = lc.exited(-9, 1.0)
    assert out[0] == FailForwards("echo-1 exited") and out[-1] == Spawn()
    crash = published(out, "child.crash")
    assert crash["reason"] == "killed by SIGKILL" and crash["ran_for_s"] == 1.0
    assert topics(out) == ["child.crash", "child.restart"] and lc.restarts == 1
    lc.started(101, 1.0)
    out = lc.exited(1, 1.2)  # crashed again at once: backoff
    assert lc.state == BACKOFF and lc.next_start_at == pytest.approx(1.7) and Spawn() not in out
    assert lc.tick(1.5) == []
    assert lc.tick(1.8) == [Spawn()]
    lc.started(102, 1.8)
    lc.exited(1, 1.9)
    lc.started(103, 3.0)
    out = lc.exited(1, 3.1)  # a fourth restart in 30 s with intensity 3
    assert lc.state == FATAL and topics(out) == ["child.crash", "child.state", "child.fatal"]
    assert out[-1] == FailBacklog("echo-1 is fatal (restart limit)")
    assert published(out, "child.fatal")["limit"] == "more than 3 restarts in 30s"
    assert lc.tick(100.0) == []  # fatal stays fatal


def test_no_backoff_once_stopping():
    lc = running()
    lc.exited(1, 1.0)
    lc.started(101, 1.0)
    lc.exited(1, 1.1)
    assert lc.state == BACKOFF
    assert lc.tick(99.0, stop=(100.0, 101.0)) == []


def test_missed_heartbeats_are_a_hang_only_when_the_bus_was_read_to_the_end():
    lc = running()
    assert lc.tick(3.0, bus_drained=False) == []  # an unread heartbeat is no silence
    out = lc.tick(3.0)
    assert topics(out) == ["child.hung"] and out[-1] == Signal(signal.SIGTERM)
    assert lc.stop_reason == "hung (missed heartbeats)" and not lc.routable
    assert lc.tick(3.5) == []
    assert lc.tick(4.1) == [Signal(signal.SIGKILL)]  # a grace after SIGTERM
    out = lc.exited(-9, 4.2)
    assert topics(out) == ["child.restart"]  # the hang was published already: no child.crash
    assert published(out, "child.restart")["reason"] == "hung (missed heartbeats)"


def test_start_timeout_ends_the_child():
    lc = life()
    lc.started(100, 0.0)
    assert lc.tick(9.0) == []
    out = lc.tick(10.5)
    assert out[0] == Publish("child.hung", {"name": "echo-1", "reason": "start timeout"})
    assert out[-1] == Signal(signal.SIGTERM)


def test_graceful_end_tells_then_terms_then_kills():
    lc = running()
    assert lc.end("stop", True, 5.0) == [Tell("actor.stop")]
    assert lc.tick(5.5) == []
    assert lc.tick(6.0) == [Signal(signal.SIGTERM)]
    assert lc.tick(6.5) == []
    assert lc.tick(7.0) == [Signal(signal.SIGKILL)]
    silent = life()
    silent.started(100, 0.0)  # never spoke: no actor.stop, a signal at once
    assert silent.end("stop", True, 1.0) == [Signal(signal.SIGTERM)]


def test_the_daemons_stop_deadlines_cap_every_end():
    lc = running()
    lc.end("stop", True, 5.0, stop=(5.3, 5.4))
    assert (lc.term_at, lc.kill_at) == (5.3, 5.4)


def test_exit_while_stopping_is_stopped_and_a_removed_child_is_forgotten():
    lc = running()
    lc.end("stop", True, 1.0)
    out = lc.exited(0, 1.5)
    assert lc.state == STOPPED and lc.pid is None and not lc.alive
    assert out[1] == Publish("child.state", {"name": "echo-1", "state": STOPPED, "pid": 100, "restarts": 0,
                                             "returncode": 0})
    lc = running()
    out = lc.exited(0, 1.0, stopping=True, removed=True)
    assert out[-2:] == [FailBacklog("echo-1 was removed"), Forget()]


def test_operator_restart_revives_a_fatal_child_with_a_clean_history():
    lc = life(intensity=0)
    lc.started(100, 0.0)
    lc.exited(1, 0.1)
    assert lc.state == FATAL and lc.restarts == 1
    out = lc.restart(5.0)
    assert out[0] == Spawn() and lc.restarts == 2 and not lc.tracker.times
    assert out[-1] == Publish("child.restart", {"name": "echo-1", "restarts": 2, "reason": "operator"})
    live = running()
    assert live.restart(1.0)[0] == Tell("actor.stop")
    assert live.exited(0, 1.2)[-1] == Spawn() and live.restarts == 1  # asked for: no backoff, no crash


def test_external_program_is_running_once_its_check_passes():
    lc = life(external=True)
    lc.started(100, 0.0)
    assert lc.tick(1.0) == []
    out = lc.tick(1.2, ready=True)
    assert lc.state == RUNNING and out[-1] == Ready() and lc.last_hb == 1.2
    assert lc.end("stop", True, 2.0) == [Signal(signal.SIGTERM)]  # no bus: never told


def test_remote_actor_runs_while_it_heartbeats_and_is_forgotten_later():
    lc = life(remote=True)
    out = lc.heartbeat(4242, 0.0)
    assert lc.state == RUNNING and lc.pid == 4242 and out[-1] == Ready()
    assert lc.tick(1.0) == []
    assert topics(lc.tick(2.5)) == ["child.state"] and lc.state == STOPPED and not lc.routable
    assert lc.tick(30.0) == []
    assert lc.tick(61.0) == [FailBacklog("echo-1 left"), Forget()]


def test_halt_answers_what_waits_once():
    lc = running()
    lc.exited(1, 1.0)
    lc.started(101, 1.0)
    lc.exited(1, 1.1)  # in backoff, no process
    assert lc.halt("the daemon is stopping")[0] == FailBacklog("the daemon is stopping")
    assert lc.state == STOPPED and lc.halt("again") == []


def test_exit_reason():
    assert exit_reason(-9) == "killed by SIGKILL" and exit_reason(3) == "exit status 3"
    assert exit_reason(-99) == "killed by signal 99"
