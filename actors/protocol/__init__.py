"""The wire protocol: envelope, op registry, error codes, codec. The single source of wire truth.

Envelope (one msgpack map per zmq frame):

    {"v": 1, "id": "<hex uuid>", "kind": "tell|ask|reply|error|event|hb",
     "from": "builder-1", "to": "memory", "op": "task.lease",
     "re": "<id of the ask this answers>", "ts": 1764370000.0, "body": {...}}

Every op has one entry in OPS: who may send it, to whom, its body, its reply, the CLI command
that uses it. The router enforces each entry (docs/architecture.md, Wire protocol).

    _envelope.py  envelopes, replies, error codes, reserved names, ActorError
    _registry.py  Op, OPS, register, validate_body, admit, check
    _table.py     the entries of the actors' ops (memory, scorer, trainer, builder, actor.*)
    _codec.py     Codec (msgpack with limits, validation on decode), read, ask_of

The supervisor's control ops register their entries from actors/control/ (one module each), a
plugin's ops from the plugin (daemon.plugins; the tests' echo actors: tests/testkinds.py).
"""

from actors.protocol._codec import Codec, ask_of, read, validate_envelope
from actors.protocol._envelope import (BACKLOG_FULL, BAD_REQUEST, CLI, CONFLICT, DEFAULT_MAX_MSG_BYTES, ERROR_CODES,
                                       FORBIDDEN, HEARTBEAT_OP, INTERNAL, KINDS, MAX_NAME_LEN, NOT_FOUND,
                                       PROTOCOL_VERSION, REQUEST_KINDS, RESERVED_NAMES, SUPERVISOR, TIMEOUT, UNAVAILABLE,
                                       UNKNOWN_OP, ActorError, envelope, error_to, new_id, reply_frame, reply_to)
from actors.protocol._registry import OPS, Op, ProtocolError, admit, check, register, validate_body
from actors.protocol._table import BUS_OPS

register(*BUS_OPS)

__all__ = [
    "BACKLOG_FULL", "BAD_REQUEST", "CLI", "CONFLICT", "DEFAULT_MAX_MSG_BYTES", "ERROR_CODES", "FORBIDDEN",
    "HEARTBEAT_OP", "INTERNAL", "KINDS", "MAX_NAME_LEN", "NOT_FOUND", "OPS", "PROTOCOL_VERSION", "REQUEST_KINDS", "RESERVED_NAMES", "SUPERVISOR",
    "TIMEOUT", "UNAVAILABLE", "UNKNOWN_OP", "ActorError", "Codec", "Op", "ProtocolError", "admit", "ask_of", "check",
    "envelope", "error_to", "new_id", "read", "register", "reply_frame", "reply_to", "validate_body", "validate_envelope",
]
