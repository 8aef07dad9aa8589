"""One child's life as a pure state machine: the clock is passed in, and every transition
returns the actions the shell (supervisor.py) then takes, in order: start a process, send a
signal, tell the actor to stop, publish an event, answer what waits for it.

    stopped --Spawn--> starting --first heartbeat / ready check--> running
    running --exit nobody asked for--> starting (at once) | backoff (later) | fatal (limit)
    running --silent too long / start timeout--> SIGTERM, SIGKILL after the grace --> as above
    any --stop (daemon stop, reload)--> stopped;  fatal/stopped --operator restart--> starting

Restart decisions are the RestartTracker's (policy.py, Erlang/OTP style). A remote actor (over
the tcp bus) has no process of ours: it is running while it heartbeats, stopped when it goes
silent, and forgotten a minute later.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any, Union

from actors.supervision.policy import RestartTracker

STARTING, RUNNING, BACKOFF, FATAL, STOPPED = "starting", "running", "backoff", "fatal", "stopped"
REMOTE_FORGET_S = 60.0  # a remote actor silent this long is forgotten


# --- the actions a transition asks for ----------------------------------------------------------
@dataclass(frozen=True)
class Spawn:
    """Start its process now (handing a warm spare its name when there is one)."""


@dataclass(frozen=True)
class Signal:
    sig: int  # SIGTERM goes with a SIGCONT: a stopped process must run to die


@dataclass(frozen=True)
class Tell:
    op: str  # a tell from the supervisor over the bus: actor.stop


@dataclass(frozen=True)
class Publish:
    topic: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ready:
    """It takes messages now: deliver its backlog (and pause it if the daemon is paused)."""


@dataclass(frozen=True)
class FailBacklog:
    message: str  # what waits for it is answered `unavailable` with this


@dataclass(frozen=True)
class FailForwards:
    message: str  # the operator's asks its process was handed will never be answered


@dataclass(frozen=True)
class Forget:
    """Out of the supervisor's table: removed by a reload, or a remote actor long gone."""


Action = Union[Spawn, Signal, Tell, Publish, Ready, FailBacklog, FailForwards, Forget]
Deadlines = tuple[float, float]  # while the daemon stops: (SIGTERM by, SIGKILL by), monotonic


@dataclass(frozen=True)
class Timing:
    grace_s: float = 5.0  # actor.stop -> SIGTERM -> SIGKILL, each this far apart
    start_timeout_s: float = 30.0  # not up by then: a hang
    silent_s: float = 3.0  # no heartbeat for this long: a hang

    @classmethod
    def of(cls, cfg: Any, kind: str) -> "Timing":
        """From the configuration; the model server may take as long as `embedded.start_timeout_s`."""
        d = cfg.daemon
        start = max(d.start_timeout_s, cfg.embedded.start_timeout_s) if kind == "llm" else d.start_timeout_s
        return cls(d.stop_grace_s, start, d.missed_heartbeats * d.heartbeat_s)


def exit_reason(rc: int) -> str:
    """A child's exit status in words: `killed by SIGKILL`, `exit status 1`."""
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


class Lifecycle:
    """The state of one child and the transitions between its states."""

    def __init__(self, name: str, tracker: RestartTracker, timing: Timing, *, external: bool = False,
                 remote: bool = False):
        self.name = name
        self.tracker = tracker
        self.timing = timing  # a reload may change it
        self.external = external  # a program (the model server): a ready check, no heartbeats
        self.remote = remote
        self.state = STOPPED
        self.alive = False  # a process of ours exists (started, not reaped yet)
        self.pid: int | None = None
        self.restarts = 0
        self.started_at = 0.0
        self.last_hb: float | None = None
        self.routable = False  # running and answering: frames go straight to it
        self.next_start_at: float | None = None
        self.stop_reason = ""  # set when we end it on purpose: stop, restart, hung, start timeout
        self.term_at: float | None = None
        self.kill_at: float | None = None

    def uptime_s(self, now: float) -> float:
        return round(now - self.started_at, 3) if self.state == RUNNING else 0.0

    def _to(self, state: str, **extra: Any) -> list[Action]:
        if state == self.state:
            return []
        self.state = state
        return [Publish("child.state", {"name": self.name, "state": state, "pid": self.pid,
                                        "restarts": self.restarts, **extra})]

    def _ready(self) -> list[Action]:
        self.routable = True
        return self._to(RUNNING) + [Ready()]

    # --- transitions ----------------------------------------------------------------------------
    def started(self, pid: int, now: float) -> list[Action]:
        """Its process was just made."""
        self.alive, self.pid, self.started_at = True, pid, now
        self.last_hb = self.next_start_at = self.term_at = self.kill_at = None
        self.routable = False
        self.stop_reason = ""
        return self._to(STARTING)

    def heartbeat(self, pid: Any, now: float) -> list[Action] | None:
        """A heartbeat from `pid`; None when it is not ours to hear (a stale incarnation, or one
        being ended): no ack, no routing."""
        if self.remote:
            self.pid = pid if isinstance(pid, int) else None
            if self.state != RUNNING:
                self.started_at = now
        elif not self.alive or pid != self.pid or self.stop_reason:
            return None
        self.last_hb = now
        return self._ready() if self.state != RUNNING or not self.routable else []

    def became_ready(self, now: float) -> list[Action]:
        """An external program's ready check passed (it sends no heartbeats)."""
        self.last_hb = now
        return self._ready()

    def unreachable(self) -> None:
        """The bus could not reach it (gone since its last heartbeat): nothing goes straight to
        it until it is heard again."""
        self.routable = False

    def exited(self, rc: int, now: float, *, stopping: bool = False, removed: bool = False) -> list[Action]:
        """Its process exited with `rc` (-1: it could not be started). `removed`: a reload took
        it out of the configuration."""
        ran_for = now - self.started_at
        self.alive = self.routable = False
        out: list[Action] = [FailForwards(f"{self.name} exited")]
        reason = self.stop_reason
        if stopping or reason == "stop":
            out += self._to(STOPPED, returncode=rc)
            self.pid = None
            return out + ([FailBacklog(f"{self.name} was removed"), Forget()] if removed else [])
        self.restarts += 1
        if reason == "restart":
            return out + [Spawn()]
        what = reason or exit_reason(rc)
        if not reason:  # nobody asked it to go: a crash (a hang or start timeout was published already)
            out.append(Publish("child.crash", {"name": self.name, "pid": self.pid, "returncode": rc, "reason": what,
                                               "ran_for_s": round(ran_for, 3)}))
        delay = self.tracker.on_crash(now, ran_for)
        if delay is None:
            policy = self.tracker.policy
            out += self._to(FATAL, reason=what)
            out.append(Publish("child.fatal", {"name": self.name, "restarts": self.restarts, "reason": what,
                                               "limit": f"more than {policy.intensity} restarts in "
                                                        f"{policy.period_s:g}s"}))
            return out + [FailBacklog(f"{self.name} is fatal (restart limit)")]
        out.append(Publish("child.restart", {"name": self.name, "restarts": self.restarts, "reason": what,
                                             "delay_s": delay}))
        if delay <= 0:
            return out + [Spawn()]
        self.next_start_at = now + delay
        return out + self._to(BACKOFF, delay_s=delay)

    def end(self, reason: str, graceful: bool, now: float, stop: Deadlines | None = None) -> list[Action]:
        """Make its live process exit: actor.stop first when graceful (and it has spoken),
        SIGTERM, then SIGKILL a grace later; all by the daemon's own deadlines when it stops."""
        self.stop_reason = reason
        self.routable = False
        grace = self.timing.grace_s
        if graceful and not self.external and self.last_hb is not None:
            out: list[Action] = [Tell("actor.stop")]
            self.term_at = now + grace
            self.kill_at = now + 2 * grace
        else:
            out = [Signal(signal.SIGTERM)]
            self.term_at = None  # sent
            self.kill_at = now + grace
        if stop is not None:  # the whole stop fits in one grace period, however many children
            self.term_at = min(self.term_at, stop[0]) if self.term_at is not None else None
            self.kill_at = min(self.kill_at, stop[1])
        return out

    def restart(self, now: float, stop: Deadlines | None = None) -> list[Action]:
        """The operator's restart: a clean restart history; a live process is ended first."""
        self.tracker.reset()
        if self.alive:
            out = self.end("restart", True, now, stop)
        else:
            self.restarts += 1 if self.state != STOPPED else 0
            out = [Spawn()]
        return out + [Publish("child.restart", {"name": self.name, "restarts": self.restarts, "reason": "operator"})]

    def halt(self, why: str) -> list[Action]:
        """No process, and none is coming (the daemon stops): what waits is answered."""
        if self.state == STOPPED:
            return []
        return [FailBacklog(why)] + self._to(STOPPED)

    def tick(self, now: float, *, stop: Deadlines | None = None, bus_drained: bool = True,
             ready: bool = False) -> list[Action]:
        """Timers: a backoff over, a stop escalating, a start or heartbeat overdue. `ready`: an
        external program's ready check has passed; `bus_drained`: every heartbeat sent so far
        has been read (an unread heartbeat is no silence)."""
        t = self.timing
        if self.remote:
            silent = now - self.last_hb if self.last_hb is not None else 0.0
            if self.state == RUNNING and silent > t.silent_s:
                self.routable = False
                return self._to(STOPPED, reason="heartbeats stopped")
            if self.state == STOPPED and silent > REMOTE_FORGET_S:
                return [FailBacklog(f"{self.name} left"), Forget()]
            return []
        if self.state == BACKOFF and self.next_start_at is not None and now >= self.next_start_at \
                and stop is None:
            return [Spawn()]
        if not self.alive:
            return []
        if self.kill_at is not None:
            if now >= self.kill_at:
                return [Signal(signal.SIGKILL)]
            if self.term_at is not None and now >= self.term_at:
                self.term_at = None
                return [Signal(signal.SIGTERM)]
            return []
        if self.state == STARTING:
            if self.external and ready:
                return self.became_ready(now)
            if now - self.started_at > t.start_timeout_s:
                return [Publish("child.hung", {"name": self.name, "reason": "start timeout"})] \
                    + self.end("start timeout", False, now, stop)
        elif self.state == RUNNING and not self.external and self.last_hb is not None \
                and now - self.last_hb > t.silent_s and bus_drained:
            return [Publish("child.hung", {"name": self.name, "pid": self.pid,
                                           "silent_s": round(now - self.last_hb, 3)})] \
                + self.end("hung (missed heartbeats)", False, now, stop)
        return []
