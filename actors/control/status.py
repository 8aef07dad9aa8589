"""`status`: the daemon, its children and the LLM endpoint, answered from memory.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "status", "body": {}}
    reply    {"status": {"home", "pid", "uptime_s", "paused", "isolation": {...},
                         "llm": {"url", "model", "state"}, "children": [{"name", "pid", "state",
                         "restarts", "uptime_s", "last_heartbeat_s", "backlog", "rss_mb",
                         "cpu_percent"}, ...]}}       (docs/architecture.md, CLI contracts)
    CLI      cogloop status [--json]   (ops/commands/status.py); `up --detach`, `down` and the
             tests poll it

The hot control op: the reply is spliced around a pre-encoded body, rebuilt when something it
shows changed (`sup.changed()` drops it) or after STATUS_TTL_S, so only uptime, heartbeat age
and the sampler's figures can lag, by that much. RSS and CPU come from the sampler thread.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import msgpack

from actors.protocol import INTERNAL, SUPERVISOR, ActorError, Op, reply_frame

OPS = (Op("status", "supervisor", "cli", {}, {"status": "map"}, "cogloop status",
          "the status JSON of docs/architecture.md, CLI contracts"),)
STATUS_TTL_S = 0.02
NOT_PROBED = {"network": False, "filesystem": False, "pid": False, "uid": False, "note": "not probed yet"}


class StatusCache:
    """The msgpack of {"status": ...}, with when it was built."""

    def __init__(self) -> None:
        self._cached: tuple[float, bytes] | None = None

    def drop(self) -> None:
        self._cached = None

    def get(self, now: float, build: Callable[[], dict[str, Any]]) -> bytes:
        if self._cached is None or now - self._cached[0] > STATUS_TTL_S:
            self._cached = (now, msgpack.packb({"status": build()}, use_bin_type=True))
        return self._cached[1]


def build(sup: Any) -> dict[str, Any]:
    now = time.monotonic()
    samples = sup.sampler.samples
    children = []
    for child in sup.roster.listed():
        life = child.life
        rss, cpu = samples.get(life.pid or -1, (None, None))
        children.append({
            "name": child.name, "pid": life.pid, "state": life.state, "restarts": life.restarts,
            "uptime_s": life.uptime_s(now),
            # An external program (the model server) sends no heartbeats; its health is llm.state.
            "last_heartbeat_s": (round(now - life.last_hb, 3)
                                 if life.last_hb is not None and not child.spec.external else None),
            "backlog": len(child.backlog), "rss_mb": rss, "cpu_percent": cpu,
        })
    return {"home": str(sup.home.root), "pid": os.getpid(), "uptime_s": round(now - sup.started, 3),
            "paused": sup.paused, "isolation": sup.sampler.isolation or NOT_PROBED, "llm": sup.llm_status(),
            "children": children}


def handle(sup: Any, req: Any) -> None:
    if req.env["kind"] != "ask":
        return None
    frame = reply_frame(req.env, SUPERVISOR, sup.status_cache.get(time.monotonic(), lambda: build(sup)))
    if len(frame) > sup.codec.max_bytes:
        raise ActorError(INTERNAL, "status is larger than max_msg_bytes")
    sup.control_frame(req.prefix, frame)
    return None
