"""The wire protocol: envelope, op names, body shapes, limits. The single source of wire truth.

Envelope (one msgpack map per zmq frame):

    {"v": 1, "id": "<hex uuid>", "kind": "tell|ask|reply|error|event|hb",
     "from": "builder-1", "to": "memory", "op": "task.lease",
     "re": "<id of the ask this answers>", "ts": 1764370000.0, "body": {...}}

OPS below documents every op: who sends it, to whom, its body, its reply, and the CLI
command that uses it. A body shape maps a field to its type; a trailing `?` marks an
optional field; `any` accepts any msgpack value; `map`/`list` accept any map/list.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import msgpack

PROTOCOL_VERSION = 1
KINDS = ("tell", "ask", "reply", "error", "event", "hb")
DEFAULT_MAX_MSG_BYTES = 1 << 20  # zmq MAXMSGSIZE and msgpack max_buffer_size share it


@dataclass(frozen=True)
class Op:
    name: str
    to: str  # "memory", "scorer", "trainer", "builder", "supervisor", or "*"
    sender: str  # who sends it
    body: dict[str, str]
    reply: dict[str, str]
    cli: str = ""  # the CLI command that uses it, if any
    doc: str = ""


def _op(name: str, to: str, sender: str, body: dict[str, str], reply: dict[str, str],
        cli: str = "", doc: str = "") -> Op:
    return Op(name, to, sender, body, reply, cli, doc)


OPS: dict[str, Op] = {op.name: op for op in [
    # --- supervisor (control socket) -------------------------------------------------
    _op("ping", "supervisor", "cli", {}, {"pong": "float"}, "", "liveness check"),
    _op("status", "supervisor", "cli", {}, {"status": "map"}, "cogloop status",
        "the status JSON of docs/architecture.md, CLI contracts"),
    _op("pause", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop pause",
        "builders stop leasing new tasks; running attempts finish"),
    _op("resume", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop resume"),
    _op("restart", "supervisor", "cli", {"actor": "str"}, {"actor": "str", "state": "str"},
        "cogloop restart ACTOR", "restart one child; revives a FATAL one"),
    _op("stop", "supervisor", "cli", {}, {"stopping": "bool"}, "cogloop down"),
    _op("reload", "supervisor", "cli", {}, {"reloaded": "bool"}, "cogloop reload",
        "re-read the configuration and the authorised CURVE keys (also SIGHUP)"),
    _op("config", "supervisor", "cli", {}, {"config": "map", "source": "str", "endpoints": "list"},
        "cogloop doctor", "the daemon's effective configuration and its LLM endpoints (with their keys: the "
        "control socket is its owner's only)"),
    _op("llm.assign", "supervisor", "builder|trainer", {"check?": "bool"},
        {"endpoint": "any", "ticket?": "str", "wait_s?": "float", "reason?": "str"},
        "", "an LLM endpoint for one request, least busy first: {url, model, api_key} and a ticket for its "
        "outcome; or endpoint nil, wait_s and the reason. check: is one free now (no ticket)"),
    _op("llm.done", "supervisor", "builder|trainer",
        {"ticket": "str", "ok": "bool", "kind?": "str", "error?": "str", "latency_s?": "float"}, {},
        "", "a tell: the outcome of an assigned request (the error kind and the server's words)"),
    _op("forward", "supervisor", "cli", {"to": "str", "op": "str", "body": "map", "wait_s?": "float"},
        {"reply": "any"}, "cogloop task add|list|show|cancel",
        "ask an actor on the operator's behalf; unavailable error when it is not running, unless "
        "wait_s > 0 and it is restarting: then kept in its backlog and delivered after the restart "
        "(timeout error, not delivered, if it is not back within wait_s)"),
    # --- memory -------------------------------------------------------------------------
    _op("task.add", "memory", "cli|trainer", {"task": "map"}, {"id": "str"}, "cogloop task add"),
    _op("task.add_many", "memory", "cli|trainer", {"tasks": "list"},
        {"ids": "list", "errors": "list"}, "cogloop import", "add several; per-task errors"),
    _op("task.list", "memory", "cli", {"status?": "str", "source?": "str", "limit?": "int"},
        {"tasks": "list"}, "cogloop task list"),
    _op("task.show", "memory", "cli", {"id": "str"}, {"task": "map"}, "cogloop task show ID"),
    _op("task.cancel", "memory", "cli", {"id": "str"}, {"id": "str", "status": "str"},
        "cogloop task cancel ID"),
    _op("task.lease", "memory", "builder", {"builder": "str", "ttl_s": "float", "reclaim?": "bool"},
        {"lease": "any"}, "", "the next task's public view with lease_id and attempt_id, or nil; "
        "reclaim (a builder's first lease since it started): its older leases are stale and requeued"),
    _op("task.renew", "memory", "builder", {"lease_id": "str", "ttl_s": "float"}, {"ok": "bool"}),
    _op("task.release", "memory", "builder", {"lease_id": "str", "reason?": "str"}, {"ok": "bool"},
        "", "give a held task back: without a reason (stop, pause) it counts toward nothing; with one "
        "it is lost work (store.max_lost) and an attempt.error event; ok false once the lease is gone"),
    _op("task.complete", "memory", "builder",
        {"lease_id": "str", "attempt_id": "str", "outcome": "str"}, {"task_status": "str"},
        "", "a no-op for a scored attempt (its verdict completed it); an unscored one is given up as "
        "lost work, whatever the outcome says; idempotent by attempt_id"),
    _op("task.private", "memory", "scorer", {"id": "str"}, {"task": "map"},
        "", "the whole task with hidden and edge tests; refused to anyone but the scorer"),
    _op("queue.stats", "memory", "trainer|cli", {"source?": "str"}, {"stats": "map"}, "cogloop wait"),
    _op("attempt.record", "memory", "builder", {"attempt": "map"}, {"id": "str"},
        "", "idempotent by attempt id"),
    _op("score.record", "memory", "scorer", {"score": "map", "lease_id?": "str", "code?": "str"},
        {"id": "any", "recorded": "bool", "task_status": "str"},
        "", "the verdict: records the score and completes its attempt and task in one transaction "
        "(a pass archives `code`); recorded false (with a reason) when the task is already over"),
    _op("reflection.record", "memory", "builder", {"reflection": "map", "lesson_ids?": "list"}, {"id": "str"},
        "", "lesson_ids: the lessons in the attempt's prompt; counted once towards lesson ranking"),
    _op("lesson.top", "memory", "builder", {"skill": "str", "limit?": "int"}, {"lessons": "list"}),
    _op("archive.similar", "memory", "builder",
        {"skill": "str", "difficulty": "int", "exclude_task?": "str"}, {"example": "any"}),
    _op("profile.snapshot", "memory", "trainer", {"profile": "map"}, {"id": "str"}),
    _op("profile.latest", "memory", "trainer|cli", {}, {"profile": "any"}),
    _op("scores.recent", "memory", "trainer|scorer", {"skill?": "str", "limit?": "int"},
        {"scores": "list"}),
    _op("event.log", "memory", "*", {"kind": "str", "body": "map"}, {"id": "str"}),
    _op("event.record", "memory", "supervisor", {"events": "list"}, {"ids": "list", "errors": "list"},
        "", "the supervisor's outbox: events with their own id, ts, kind, actor, body, recorded once "
        "each; the ids in the reply are acknowledged"),
    # --- scorer ---------------------------------------------------------------------------
    _op("score.request", "scorer", "builder",
        {"attempt_id": "str", "task_id": "str", "code": "str", "builder": "str", "lease_id?": "str"},
        {"score": "map", "recorded": "bool", "task_status": "str"},
        "", "grade a candidate on hidden and edge tests; Memory records the verdict (which completes "
        "the task); the trainer hears of recorded verdicts only"),
    # --- trainer --------------------------------------------------------------------------
    _op("trainer.observe", "trainer", "scorer", {"score": "map"}, {},
        "", "a scored attempt: update the profile, top up the queue"),
    _op("trainer.status", "trainer", "cli", {}, {"profile": "map"}),
    # --- builder --------------------------------------------------------------------------
    _op("builder.status", "builder", "supervisor|cli", {}, {"status": "map"}, "cogloop status",
        "the builder's LLM url/model/state (ok, down: reason, waiting: why), current task, counts"),
    # --- every actor ----------------------------------------------------------------------
    _op("actor.stop", "*", "supervisor", {}, {}, "", "finish or release work, then exit"),
    _op("actor.pause", "*", "supervisor", {}, {}),
    _op("actor.resume", "*", "supervisor", {}, {}),
    # --- built-in test actors (actors/testkinds.py) -----------------------------------
    _op("echo", "echo", "*", {}, {"echo": "map", "pid": "int", "name": "str"},
        "", "answer the body back with the actor's name and pid; extra fields allowed"),
    _op("echo.relay", "echo", "*", {"to": "str", "count": "int", "timeout?": "float"},
        {"replies": "list", "errors": "list"}, "",
        "ask `to` the echo op `count` times through the bus; tests backlog and actor-to-actor ask"),
    _op("echo.stats", "echo", "*", {}, {"work_calls": "int", "paused": "bool", "handled": "int"}),
    _op("echo.freeze", "echo", "*", {}, {}, "", "SIGSTOP the whole process: a hang for tests"),
    _op("echo.boom", "echo", "*", {}, {}, "", "raise inside the handler: an internal error reply"),
    _op("echo.flood", "echo", "*", {"to": "str", "count": "int"}, {"sent": "int"},
        "", "tell `to` echo.tick `count` times as fast as possible (bench/runtime.py)"),
    _op("echo.tick", "echo", "*", {}, {}, "", "counted in echo.stats `handled`; a tell"),
    _op("echo.sleep", "echo", "*", {"seconds": "float", "honour_stop?": "bool"}, {"slept": "float"},
        "", "block the actor's thread (a slow LLM call); with honour_stop, give up on ctx.stopping"),
]}

# --- error codes ----------------------------------------------------------------------
BAD_REQUEST = "bad_request"  # the frame or its body does not follow the protocol
UNKNOWN_OP = "unknown_op"  # the op is not in OPS (or the receiver has no handler for it)
UNAVAILABLE = "unavailable"  # the addressee is not running (CLI asks), or does not exist
TIMEOUT = "timeout"  # no reply in time
INTERNAL = "internal"  # a handler raised; the process lives on
FORBIDDEN = "forbidden"  # a sender tried what it may not (spoofed `from`, private data)
BACKLOG_FULL = "backlog_full"  # the addressee is restarting and its backlog is full
ERROR_CODES = (BAD_REQUEST, UNKNOWN_OP, UNAVAILABLE, TIMEOUT, INTERNAL, FORBIDDEN, BACKLOG_FULL)

# Kinds that need a registered op; events carry a free topic in `op`, hb a fixed one.
REQUEST_KINDS = ("tell", "ask")
HEARTBEAT_OP = "hb"
# Names no actor may take: the supervisor and the operator's client speak under them.
RESERVED_NAMES = ("supervisor", "cli")
MAX_NAME_LEN = 64


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (float, int), "bool": (bool,),
    "map": (dict,), "list": (list,),
}
_ENVELOPE_FIELDS: dict[str, tuple[type, ...]] = {
    "v": (int,), "id": (str,), "kind": (str,), "from": (str,), "to": (str,), "op": (str,),
    "ts": (float, int), "body": (dict,),
}


class ProtocolError(Exception):
    """A frame that breaks the protocol; `code` is one of ERROR_CODES."""

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


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "any":
        return True
    if kind in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[kind])


def validate_body(op_name: str, body: Any) -> str | None:
    """None when `body` fits the op's shape, else one line saying what is wrong.

    Fields not in the shape are allowed (a newer sender may add some); declared ones are
    checked for presence and type.
    """
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


_TS_TYPES = (float, int)


def _envelope_ok(env: dict[str, Any]) -> bool:
    """The common case in one pass of exact type checks (msgpack yields exact types); False
    sends the frame through the field-by-field checks that say what is wrong."""
    get = env.get
    return (type(get("v")) is int and get("v") == PROTOCOL_VERSION and type(get("body")) is dict
            and type(get("id")) is str and type(get("kind")) is str and type(get("from")) is str
            and type(get("to")) is str and type(get("op")) is str and type(get("ts")) in _TS_TYPES)


def validate_envelope(env: Any) -> ProtocolError | None:
    """Check the envelope's fields, then (for tell/ask) the op and the body shape."""
    if type(env) is dict and _envelope_ok(env):
        return _validate_known_fields(env)
    if not isinstance(env, dict):
        return ProtocolError(BAD_REQUEST, "a frame must hold one msgpack map")
    if env.get("v") != PROTOCOL_VERSION:
        return ProtocolError(BAD_REQUEST, f"unsupported protocol version {env.get('v')!r} (want {PROTOCOL_VERSION})")
    for name, types in _ENVELOPE_FIELDS.items():
        value = env.get(name)
        if not isinstance(value, types) or isinstance(value, bool):
            return ProtocolError(BAD_REQUEST, f"envelope field {name!r} missing or of the wrong type")
    return _validate_known_fields(env)


def _validate_known_fields(env: dict[str, Any]) -> ProtocolError | None:
    """The checks after the field types: kind, lengths, `re`, the op and its body."""
    if env["kind"] not in KINDS:
        return ProtocolError(BAD_REQUEST, f"unknown kind {env['kind']!r}")
    for name in ("id", "from", "to", "op"):
        if len(env[name]) > (MAX_NAME_LEN if name != "op" else 128):
            return ProtocolError(BAD_REQUEST, f"envelope field {name!r} too long")
    if env["kind"] in ("reply", "error") and not isinstance(env.get("re"), str):
        return ProtocolError(BAD_REQUEST, "a reply needs `re`, the id of the ask it answers")
    if env["kind"] in REQUEST_KINDS:
        if env["op"] not in OPS:
            return ProtocolError(UNKNOWN_OP, f"unknown op {env['op']!r}")
        problem = validate_body(env["op"], env["body"])
        if problem:
            return ProtocolError(BAD_REQUEST, problem)
    return None


class Codec:
    """msgpack both ways with the same byte limit as zmq's MAXMSGSIZE.

    `decode` never raises anything but ProtocolError, whatever the bytes: it is called by
    pump loops that must survive any frame.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_MSG_BYTES):
        self.max_bytes = max_bytes

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
        problem = validate_envelope(env)
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
