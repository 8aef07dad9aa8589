"""`stop`: stop the daemon: every child, in reverse start order, within one grace period.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "stop", "body": {}}
    reply    {"stopping": true}            at once; the daemon is gone when its pidfile is free
    CLI      cogloop down   (ops/commands/down.py); also SIGTERM and SIGINT to the supervisor

The sequence (`begin`, then `step` on every tick until it says done): children one at a time,
last started first, each told `actor.stop` (it finishes its round or releases its lease; replies
still reach it) or sent SIGTERM when it never spoke; at 3/4 of `daemon.stop_grace_s` the rest
get SIGTERM together, at the grace SIGKILL, so `cogloop down` returns within the grace however
many children there are. Remote actors are told `actor.stop`. Warm spares are dismissed.
Event `supervisor.stopping`, on record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from actors.protocol import Op

OPS = (Op("stop", "supervisor", "cli", {}, {"stopping": "bool"}, "cogloop down"),)


@dataclass
class Shutdown:
    soft_at: float  # monotonic: from then on, SIGTERM to all that are left
    deadline: float  # monotonic: SIGKILL
    queue: list[str] = field(default_factory=list)  # children still to stop, in order

    @property
    def deadlines(self) -> tuple[float, float]:
        return self.soft_at, self.deadline


def handle(sup: Any, req: Any) -> dict[str, Any]:
    begin(sup, "stop requested")
    return {"stopping": True}


def begin(sup: Any, why: str) -> None:
    if sup.shutdown is not None:
        return
    grace = sup.cfg.daemon.stop_grace_s
    now = time.monotonic()
    sup.shutdown = Shutdown(now + 0.75 * grace, now + grace, list(reversed(sup.roster.order)))
    sup.changed()
    sup.publish("supervisor.stopping", {"reason": why})
    sup.launcher.spares.dismiss()
    for child in sup.roster:
        if child.remote:
            sup.tell(child.name, "actor.stop")


def step(sup: Any) -> bool:
    """Stop children one at a time, last started first; True when every process is gone."""
    shut, now = sup.shutdown, time.monotonic()
    if shut.queue and now >= shut.soft_at:  # out of time for one at a time
        for name in shut.queue:
            child = sup.roster.get(name)
            if child is not None and child.proc is not None and child.life.stop_reason != "stop":
                sup.apply(child, child.life.end("stop", False, now, shut.deadlines))
    while shut.queue:
        child = sup.roster.get(shut.queue[0])
        if child is None or child.proc is None:
            if child is not None:
                sup.apply(child, child.life.halt("the daemon is stopping"))
            shut.queue.pop(0)
            continue
        if child.life.stop_reason != "stop":
            sup.apply(child, child.life.end("stop", child.life.routable, now, shut.deadlines))
        return False
    return all(c.proc is None for c in sup.roster)
