"""The op registry: one entry per op, saying who may send it, to whom, its body and its reply.

The router (the supervisor) enforces every entry on every request: the body is checked against
the shape once, when the frame is decoded (or, for a request that is not a frame, by `check`);
the sender and the addressee by `admit`. Handlers trust what reaches them.

Senders and addressees are kinds: an actor kind (`memory`, `builder`, ...), `supervisor`, `cli`
(the operator, through the control socket), `*` (anyone). A body shape maps a field to its type;
a trailing `?` marks an optional field; `any` accepts any msgpack value, `map`/`list` any map/list.
Fields not in the shape are allowed (a newer sender may add some).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from actors.protocol._envelope import BAD_REQUEST, FORBIDDEN, UNKNOWN_OP, ActorError

TYPES = ("str", "int", "float", "bool", "map", "list", "any")
_PYTHON: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (float, int), "bool": (bool,),
    "map": (dict,), "list": (list,),
}


class ProtocolError(ActorError):
    """A frame or request that breaks the protocol; `code` is one of ERROR_CODES."""


@dataclass(frozen=True)
class Op:
    name: str
    to: str  # the kinds it goes to, "|"-separated, or "*"
    sender: str  # the kinds that may send it, "|"-separated, or "*"
    body: dict[str, str]
    reply: dict[str, str]
    cli: str = ""  # the CLI command that uses it, if any
    doc: str = ""

    @cached_property
    def senders(self) -> frozenset[str]:
        return frozenset(self.sender.split("|"))

    @cached_property
    def receivers(self) -> frozenset[str]:
        return frozenset(self.to.split("|"))


OPS: dict[str, Op] = {}


def register(*ops: Op) -> None:
    """Add entries; a name is registered once (the same entry again is a no-op)."""
    for op in ops:
        known = OPS.get(op.name)
        if known is not None and known != op:
            raise ValueError(f"op {op.name!r} is registered already, differently")
        bad = [t for t in (*op.body.values(), *op.reply.values()) if t not in TYPES]
        if bad:
            raise ValueError(f"op {op.name!r}: unknown field types {bad} (known: {', '.join(TYPES)})")
        OPS[op.name] = op


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "any":
        return True
    if kind in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, _PYTHON[kind])


def validate_body(op_name: str, body: Any) -> str | None:
    """None when `body` fits the op's shape, else one line saying what is wrong."""
    op = OPS.get(op_name)
    if op is None:
        return f"unknown op {op_name!r}"
    if not isinstance(body, dict):
        return f"{op_name}: body must be a map"
    for key, kind in op.body.items():
        optional = key.endswith("?")
        name = key.rstrip("?")
        if name not in body:
            if optional:
                continue
            return f"{op_name}: missing field {name!r}"
        if body[name] is None and optional:
            continue
        if not _type_ok(body[name], kind):
            return f"{op_name}: field {name!r} must be {kind}"
    return None


def _either(kinds: str) -> str:
    return " or ".join(kinds.split("|"))


def admit(op_name: str, sender: str, to: str) -> ProtocolError | None:
    """None when kind `sender` may send `op_name` to an addressee of kind `to`, else the error
    to answer: `unknown_op` for an op that is not registered or not the addressee's,
    `forbidden` for a sender the entry does not allow."""
    op = OPS.get(op_name)
    if op is None:
        return ProtocolError(UNKNOWN_OP, f"unknown op {op_name!r}")
    if "*" not in op.senders and sender not in op.senders:
        return ProtocolError(FORBIDDEN, f"{op_name}: refused to {sender}; only {_either(op.sender)} may send it")
    if "*" not in op.receivers and to not in op.receivers:
        return ProtocolError(UNKNOWN_OP, f"{op_name} goes to {_either(op.to)}, not to {to}")
    return None


def check(op_name: str, body: Any, sender: str, to: str) -> ProtocolError | None:
    """The whole entry for a request that does not arrive as a frame (a forwarded ask, the CLI
    writing without a daemon): admission, then the body."""
    refused = admit(op_name, sender, to)
    if refused is not None:
        return refused
    problem = validate_body(op_name, body)
    return ProtocolError(BAD_REQUEST, problem) if problem else None
