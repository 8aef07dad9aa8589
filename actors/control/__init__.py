"""The supervisor's control ops, one module each (after circus's `commands/`): a module's
docstring shows the message, the reply and the CLI command that sends it; its `OPS` are the
entries (registered here, beside the actors' in actors/protocol); `handle(sup, req)` serves it.

    ping.py     is the daemon there                 status.py   the status JSON, from memory
    pause.py    pause, resume: the daemon's pause   restart.py  one child, now
    stop.py     the stop sequence                   reload.py   re-read the configuration and keys
    forward.py  ask an actor for the operator, relay its answer
    config.py   the effective configuration         llm.py      llm.assign, llm.done (from actors)

Control ops come from the control socket, whose every client is the operator (`cli`); the
router admits an op there by its entry like any other. The ops of llm.py come on the bus, from
builders and the trainer (`serve_bus`), admitted by the router like any request on the bus. `sup` is the running Supervisor
(supervisor.py): a handler reads and changes its parts (roster, forwards, endpoint, launcher)
and has it carry out a child's transitions (`sup.apply`). A handler returns the reply body, or
None when it answers by itself (status, forward); it raises ActorError for an error reply with
a code, CogloopError for `bad_request`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors import protocol as P
from actors.control import config, forward, llm, pause, ping, reload, restart, status, stop
from ops.ground.errors import CogloopError

MODULES = (ping, status, pause, restart, stop, reload, forward, config, llm)
HANDLERS = {op.name: module for module in MODULES for op in module.OPS}
P.register(*(op for module in MODULES for op in module.OPS))


@dataclass
class Request:
    env: dict[str, Any]  # the ask, its body checked against the entry
    prefix: list[bytes]  # the control socket's routing frames: where an answer goes

    @property
    def body(self) -> dict[str, Any]:
        return self.env["body"]


def serve(sup: Any, env: dict[str, Any], prefix: list[bytes]) -> dict[str, Any] | None:
    """Admit and run a control op from the operator; the reply envelope to send, or None."""
    refused = P.admit(env["op"], P.CLI, P.SUPERVISOR)
    module = HANDLERS.get(env["op"])
    if refused is None and module is None:
        refused = P.ProtocolError(P.UNKNOWN_OP, f"the supervisor does not handle {env['op']!r}")
    if refused is not None:
        return P.error_to(env, P.SUPERVISOR, refused.code, refused.message)
    try:
        body = module.handle(sup, Request(env, prefix))
    except P.ActorError as exc:
        return P.error_to(env, P.SUPERVISOR, exc.code, exc.message)
    except CogloopError as exc:
        return P.error_to(env, P.SUPERVISOR, P.BAD_REQUEST, str(exc))
    return None if body is None else P.reply_to(env, P.SUPERVISOR, body)


def serve_bus(sup: Any, env: dict[str, Any]) -> dict[str, Any] | None:
    """Run an op an actor sent the supervisor on the bus (the router admitted it); the reply
    envelope for an ask."""
    try:
        body = HANDLERS[env["op"]].handle(sup, Request(env, []))
    except P.ActorError as exc:
        return P.error_to(env, P.SUPERVISOR, exc.code, exc.message)
    return None if body is None else P.reply_to(env, P.SUPERVISOR, body)


def receive(sup: Any, frames: list[bytes]) -> None:
    """One message read from the control socket: framing, decoding, then `serve`; the answer
    goes back on the socket. Malformed: an error when it is an ask that can be answered, else
    dropped and counted."""
    # DEALER clients send [payload]; REQ clients add an empty delimiter.
    if len(frames) not in (2, 3) or (len(frames) == 3 and frames[1] != b""):
        sup.events.drop()
        return
    prefix, frame = frames[:-1], frames[-1]
    env, error = P.read(sup.codec, frame, P.SUPERVISOR)
    if env is None or env["kind"] not in P.REQUEST_KINDS:
        if error is not None:
            sup.control_send(prefix, error)
        else:
            sup.events.drop()
        return
    if env["to"] != P.SUPERVISOR:
        reply = P.error_to(env, P.SUPERVISOR, P.BAD_REQUEST, "the control socket speaks to the supervisor "
                                                             "only; use op 'forward' to reach an actor")
    else:
        reply = serve(sup, env, prefix)
    if reply is not None and env["kind"] == "ask":
        sup.control_send(prefix, reply)
