"""The envelope every message travels in, the error codes, and the names no actor may take."""

from __future__ import annotations

import os
import time
from typing import Any

import msgpack

PROTOCOL_VERSION = 1
KINDS = ("tell", "ask", "reply", "error", "event", "hb")
DEFAULT_MAX_MSG_BYTES = 1 << 20  # zmq MAXMSGSIZE and msgpack max_buffer_size share it

# --- error codes ----------------------------------------------------------------------
BAD_REQUEST = "bad_request"  # the frame or its body does not follow the protocol
UNKNOWN_OP = "unknown_op"  # the op is not registered, or does not go to that addressee
UNAVAILABLE = "unavailable"  # the addressee is not running (CLI asks), or does not exist
TIMEOUT = "timeout"  # no reply in time
INTERNAL = "internal"  # a handler raised; the process lives on
FORBIDDEN = "forbidden"  # a sender tried what it may not (spoofed `from`, an op not theirs to send)
BACKLOG_FULL = "backlog_full"  # the addressee is restarting and its backlog is full
NOT_FOUND = "not_found"  # a well-formed request names something that does not exist (a task id)
CONFLICT = "conflict"  # the request does not apply in the current state (cancel a passed task)
ERROR_CODES = (BAD_REQUEST, UNKNOWN_OP, UNAVAILABLE, TIMEOUT, INTERNAL, FORBIDDEN, BACKLOG_FULL, NOT_FOUND,
               CONFLICT)

# Kinds that need a registered op; events carry a free topic in `op`, hb a fixed one.
REQUEST_KINDS = ("tell", "ask")
HEARTBEAT_OP = "hb"
# Names no actor may take: the supervisor and the operator's client speak under them (and an op's
# entry names them as senders: `supervisor`, `cli`).
SUPERVISOR, CLI = "supervisor", "cli"
RESERVED_NAMES = (SUPERVISOR, CLI)
MAX_NAME_LEN = 64


class ActorError(Exception):
    """Raise in a handler (an actor's, or a control op's) to answer the ask with an error of this code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def new_id() -> str:
    """128 random bits in hex, like a uuid4's hex but several times cheaper (every message has one)."""
    return os.urandom(16).hex()


def envelope(kind: str, sender: str, to: str, op: str, body: dict[str, Any] | None = None,
             re: str | None = None, msg_id: str | None = None) -> dict[str, Any]:
    """A fresh envelope; `re` only on replies and errors."""
    env: dict[str, Any] = {"v": PROTOCOL_VERSION, "id": msg_id or new_id(), "kind": kind,
                           "from": sender, "to": to, "op": op, "ts": time.time(), "body": body or {}}
    if re is not None:
        env["re"] = re
    return env


def reply_to(request: dict[str, Any], sender: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return envelope("reply", sender, str(request.get("from", "")), str(request.get("op", "")),
                    body, re=str(request.get("id", "")))


_BODY_KEY = msgpack.packb("body")


def reply_frame(request: dict[str, Any], sender: str, body_frame: bytes) -> bytes:
    """An encoded reply whose body is already msgpack bytes (a cached answer, e.g. `status`):
    the envelope is packed without its body, and the body appended as the map's last entry.
    Decodes exactly like `Codec.encode(reply_to(request, sender, body))`."""
    env = reply_to(request, sender)
    del env["body"]
    head = msgpack.packb(env, use_bin_type=True)
    assert head[0] & 0xF0 == 0x80 and len(env) < 15  # a fixmap: its entry count is in byte 0
    return bytes([head[0] + 1]) + head[1:] + _BODY_KEY + body_frame


def error_to(request: dict[str, Any], sender: str, code: str, message: str) -> dict[str, Any]:
    """An error reply; works on a half-valid request (missing fields become empty strings)."""
    def field(name: str) -> str:
        value = request.get(name, "") if isinstance(request, dict) else ""
        return value if isinstance(value, str) else ""
    return envelope("error", sender, field("from"), field("op"),
                    {"code": code, "message": message[:500]}, re=field("id"))
