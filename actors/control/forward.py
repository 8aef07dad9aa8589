"""`forward`: ask an actor on the operator's behalf, and relay its answer.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "forward",
              "body": {"to": "memory", "op": "task.add", "body": {"task": {...}}, "wait_s": 5.0}}
    reply    {"reply": <the actor's reply body>}, or the actor's error (code and message)
    errors   unavailable: the actor is not running (unless wait_s > 0 and it is restarting);
             forbidden / unknown_op / bad_request: the inner op's entry refuses it (sender `cli`);
             backlog_full; timeout: no answer in 10 minutes, or not delivered within wait_s
    CLI      cogloop task add|cancel and import, while a daemon runs (ops/commands/_write.py:
             memory_op); `Client.forward` (ops/client.py) for anything else

The inner ask goes out as sent by `cli` and is checked against its own entry like any other.
With `wait_s` > 0 an actor that is restarting (starting, backoff) gets it from its backlog
after the restart; not back within wait_s, it is taken out and answered `timeout` (so a
timeout means not delivered). An ask already handed to an actor that then dies is answered
`unavailable` when the exit is seen (at most once: it may have acted on it). The table of
forwards in flight is actors/supervision/forwards.py; the supervisor calls `answered`,
`handed_to_exited` and `expire` from its loop.
"""

from __future__ import annotations

import time
from typing import Any

from actors import protocol as P
from actors.protocol import BACKLOG_FULL, CLI, SUPERVISOR, TIMEOUT, UNAVAILABLE, ActorError, Op
from actors.supervision.lifecycle import BACKOFF, STARTING

OPS = (Op("forward", "supervisor", "cli", {"to": "str", "op": "str", "body": "map", "wait_s?": "float"},
          {"reply": "any"}, "cogloop task add|cancel, import",
          "ask an actor on the operator's behalf; unavailable error when it is not running, unless "
          "wait_s > 0 and it is restarting: then kept in its backlog and delivered after the restart "
          "(timeout error, not delivered, if it is not back within wait_s)"),)


def handle(sup: Any, req: Any) -> None:
    body = req.body
    to, op, inner = body["to"], body["op"], body["body"]
    child = sup.roster.get(to)
    wait_s = float(body.get("wait_s") or 0.0)
    restarting = child is not None and wait_s > 0 and child.state in (STARTING, BACKOFF) \
        and not sup.stopping and not child.remote
    if child is None or (not child.life.routable and not restarting) or child.spec.external:
        raise ActorError(UNAVAILABLE, f"{to} is not running ({child.state if child else 'unknown'})")
    refused = P.check(op, inner, CLI, child.spec.kind)
    if refused is not None:
        raise refused
    if sup.forwards.full:
        raise ActorError(BACKLOG_FULL, "too many forwarded asks in flight")
    ask = P.envelope("ask", CLI, to, op, inner)
    frame = sup.codec.encode(ask)  # too big: a ProtocolError, answered with its code
    if child.backlog.full:
        raise ActorError(BACKLOG_FULL, f"{to} is busy and its backlog is full")
    sup.forwards.add(ask["id"], req.prefix, req.env, to, time.monotonic(), wait_s)
    # Running but with a full pipe: it waits its turn in the backlog.
    sup.enqueue(child, CLI.encode(), frame, ask)
    return None


def answered(sup: Any, env: dict[str, Any]) -> None:
    """An actor's reply or error to `cli`: relayed to the operator who is waiting for it."""
    fwd = sup.forwards.pop(env.get("re", ""))
    if fwd is None:
        return
    if env["kind"] == "error":
        err = env["body"]
        out = P.error_to(fwd.request, SUPERVISOR, str(err.get("code", P.INTERNAL)), str(err.get("message", "")))
    else:
        out = P.reply_to(fwd.request, SUPERVISOR, {"reply": env["body"]})
    sup.control_send(fwd.prefix, out)


def fail(sup: Any, fid: str, code: str, message: str) -> None:
    fwd = sup.forwards.pop(fid)
    if fwd is not None:
        sup.control_send(fwd.prefix, P.error_to(fwd.request, SUPERVISOR, code, message))


def handed_to_exited(sup: Any, child: Any, message: str) -> None:
    """The forwards `child`'s process was handed: it died, so their answers will never come.
    (Those still in its backlog wait for the restart.)"""
    waiting = {meta["id"] for meta in child.backlog}
    for fid in sup.forwards.to(child.name):
        if fid not in waiting:
            fail(sup, fid, UNAVAILABLE, message)


def expire(sup: Any, now: float) -> None:
    """Waits that are over (a forward still in a restarting actor's backlog is taken out and
    answered `timeout`: not delivered), and forwards nobody answered."""
    for fid in sup.forwards.waits_over(now):
        fwd = sup.forwards.get(fid)
        child = sup.roster.get(fwd.to) if fwd is not None else None
        if child is not None and child.backlog.take(fid) is not None:
            sup.changed()
            fail(sup, fid, TIMEOUT, f"{child.name} still not running ({child.state}) after the forward's wait_s")
    for fid in sup.forwards.expired(now):
        fwd = sup.forwards.get(fid)
        fail(sup, fid, TIMEOUT, f"{fwd.to if fwd else '?'} did not answer")
