"""msgpack both ways, with the checks a frame from outside must pass before anyone reads it."""

from __future__ import annotations

from typing import Any

import msgpack

from actors.protocol._envelope import (BAD_REQUEST, DEFAULT_MAX_MSG_BYTES, KINDS, MAX_NAME_LEN, PROTOCOL_VERSION,
                                       REQUEST_KINDS, UNKNOWN_OP, error_to)
from actors.protocol._registry import OPS, ProtocolError, validate_body

_ENVELOPE_FIELDS: dict[str, tuple[type, ...]] = {
    "v": (int,), "id": (str,), "kind": (str,), "from": (str,), "to": (str,), "op": (str,),
    "ts": (float, int), "body": (dict,),
}
_TS_TYPES = (float, int)


def _envelope_ok(env: dict[str, Any]) -> bool:
    """The common case in one pass of exact type checks (msgpack yields exact types); False
    sends the frame through the field-by-field checks that say what is wrong."""
    get = env.get
    return (type(get("v")) is int and get("v") == PROTOCOL_VERSION and type(get("body")) is dict
            and type(get("id")) is str and type(get("kind")) is str and type(get("from")) is str
            and type(get("to")) is str and type(get("op")) is str and type(get("ts")) in _TS_TYPES)


def validate_envelope(env: Any, ops: bool = True) -> ProtocolError | None:
    """Check the envelope's fields, then (for tell/ask, unless `ops` is False) the op and the
    body shape."""
    if type(env) is dict and _envelope_ok(env):
        return _validate_known_fields(env, ops)
    if not isinstance(env, dict):
        return ProtocolError(BAD_REQUEST, "a frame must hold one msgpack map")
    if env.get("v") != PROTOCOL_VERSION:
        return ProtocolError(BAD_REQUEST, f"unsupported protocol version {env.get('v')!r} (want {PROTOCOL_VERSION})")
    for name, types in _ENVELOPE_FIELDS.items():
        value = env.get(name)
        if not isinstance(value, types) or isinstance(value, bool):
            return ProtocolError(BAD_REQUEST, f"envelope field {name!r} missing or of the wrong type")
    return _validate_known_fields(env, ops)


def _validate_known_fields(env: dict[str, Any], ops: bool) -> ProtocolError | None:
    """The checks after the field types: kind, lengths, `re`, the op and its body."""
    if env["kind"] not in KINDS:
        return ProtocolError(BAD_REQUEST, f"unknown kind {env['kind']!r}")
    for name in ("id", "from", "to", "op"):
        if len(env[name]) > (MAX_NAME_LEN if name != "op" else 128):
            return ProtocolError(BAD_REQUEST, f"envelope field {name!r} too long")
    if env["kind"] in ("reply", "error") and not isinstance(env.get("re"), str):
        return ProtocolError(BAD_REQUEST, "a reply needs `re`, the id of the ask it answers")
    if ops and env["kind"] in REQUEST_KINDS:
        if env["op"] not in OPS:
            return ProtocolError(UNKNOWN_OP, f"unknown op {env['op']!r}")
        problem = validate_body(env["op"], env["body"])
        if problem:
            return ProtocolError(BAD_REQUEST, problem)
    return None


class Codec:
    """msgpack both ways with the same byte limit as zmq's MAXMSGSIZE.

    `decode` never raises anything but ProtocolError, whatever the bytes: it is called by
    pump loops that must survive any frame. `check_ops=False` skips the op and body checks:
    an actor's pump hears only the router, which checked them (a body is validated once).
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_MSG_BYTES, *, check_ops: bool = True):
        self.max_bytes = max_bytes
        self.check_ops = check_ops

    def encode(self, env: dict[str, Any]) -> bytes:
        data = msgpack.packb(env, use_bin_type=True)
        if len(data) > self.max_bytes:
            raise ProtocolError(BAD_REQUEST, f"message of {len(data)} bytes exceeds {self.max_bytes}")
        return data

    def decode(self, frame: bytes) -> dict[str, Any]:
        """Bytes to a validated envelope, or ProtocolError."""
        if len(frame) > self.max_bytes:
            raise ProtocolError(BAD_REQUEST, f"frame of {len(frame)} bytes exceeds {self.max_bytes}")
        try:
            # One call, no Unpacker object (a third of the cost on the control path). The frame is
            # already within max_bytes, and unpackb bounds every string, array and map by the
            # frame's length; a second object after the map raises ExtraData.
            env = msgpack.unpackb(frame, strict_map_key=True, raw=False, use_list=True)
        except Exception as exc:  # ExtraData, FormatError, StackError, UnicodeDecodeError, ...
            raise ProtocolError(BAD_REQUEST, f"not a msgpack frame: {type(exc).__name__}") from None
        problem = validate_envelope(env, self.check_ops)
        if problem:
            problem.envelope = env if isinstance(env, dict) else {}  # type: ignore[attr-defined]
            raise problem
        return env


def ask_of(problem: ProtocolError) -> dict[str, Any] | None:
    """The half-valid ask a ProtocolError came from, if there is one to answer."""
    env = getattr(problem, "envelope", None)
    if isinstance(env, dict) and env.get("kind") == "ask" and isinstance(env.get("id"), str) \
            and isinstance(env.get("from"), str):
        return env
    return None


def read(codec: Codec, frame: bytes, me: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A frame as a receiver takes it: (envelope, None); (None, the error to send back) for a bad
    ask that can be answered; (None, None) for anything else, to drop and count."""
    try:
        return codec.decode(frame), None
    except ProtocolError as problem:
        ask = ask_of(problem)
        return None, (error_to(ask, me, problem.code, problem.message) if ask is not None else None)
