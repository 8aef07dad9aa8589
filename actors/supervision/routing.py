"""Where a message on the bus goes: the router's rules, pure, over the roster. The supervisor
reads and writes the socket; these say what to do with what it read.

A request (tell, ask) is admitted by its op's entry (actors/protocol: who may send it, to
whom) with the sender's and the addressee's kinds, then goes to a child that can take it (now,
or from its backlog after a restart), or to the supervisor itself when the entry addresses it
(actors/control serves it); anything else is refused with an error code. A reply
goes back to whoever asked: the operator (a forward), the supervisor (Memory's ack of the
outbox), or an actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.protocol import CLI, RESERVED_NAMES, SUPERVISOR, UNAVAILABLE, UNKNOWN_OP, admit
from actors.supervision.lifecycle import FATAL, STOPPED


@dataclass(frozen=True)
class Refuse:
    code: str
    message: str


def takes(child: Any) -> bool:
    """Whether `child` takes messages at all: now or from its backlog (not fatal, not stopped,
    not a program outside the bus)."""
    return child.state not in (FATAL, STOPPED) and not child.spec.external


def request(roster: Any, env: dict[str, Any], sender: str) -> Any:
    """The child a tell or ask from `sender` goes to, SUPERVISOR for one the supervisor serves
    (its entry admits the sender's kind: llm.assign, llm.done), or Refuse(code, message)."""
    to = env["to"]
    child = roster.get(to)
    if child is None and to not in RESERVED_NAMES:
        return Refuse(UNAVAILABLE, f"no actor {to!r} is running")
    refused = admit(env["op"], roster.kind_of(sender), child.spec.kind if child is not None else to)
    if refused is not None:
        return Refuse(refused.code, refused.message)
    if child is None and to == SUPERVISOR:  # admitted: the supervisor serves it (actors/control)
        return SUPERVISOR
    if child is None:  # admitted to the operator: no entry does that on the bus
        return Refuse(UNKNOWN_OP, f"{to} takes no {env['op']!r} on the bus")
    if not takes(child):
        return Refuse(UNAVAILABLE, f"no actor {to!r} is running")
    return child


def reply(roster: Any, env: dict[str, Any]) -> Any:
    """Where a reply or error goes: CLI (a forward's answer), SUPERVISOR, a child, or None (nobody
    to take it: dropped and counted)."""
    to = env["to"]
    if to in (CLI, SUPERVISOR):
        return to
    child = roster.get(to)
    return child if child is not None and takes(child) else None


def straight_through(child: Any) -> bool:
    """A reply to a child being ended: it is closed to new requests but may wait on an answer (a
    builder giving its lease back), so replies skip its backlog while its process is there."""
    return bool(child.life.stop_reason) and child.proc is not None and not child.backlog
