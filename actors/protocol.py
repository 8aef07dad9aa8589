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

from dataclasses import dataclass

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
        "the status JSON of DESIGN.md's contracts"),
    _op("pause", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop pause",
        "builders stop leasing new tasks; running attempts finish"),
    _op("resume", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop resume"),
    _op("restart", "supervisor", "cli", {"actor": "str"}, {"actor": "str", "state": "str"},
        "cogloop restart ACTOR", "restart one child; revives a FATAL one"),
    _op("stop", "supervisor", "cli", {}, {"stopping": "bool"}, "cogloop down"),
    _op("reload", "supervisor", "cli", {}, {"reloaded": "bool"}, "kill -HUP",
        "re-read the configuration"),
    _op("forward", "supervisor", "cli", {"to": "str", "op": "str", "body": "map"}, {"reply": "any"},
        "cogloop task add|list|show|cancel",
        "ask an actor on the operator's behalf; unavailable error when it is not running"),
    # --- memory -------------------------------------------------------------------------
    _op("task.add", "memory", "cli|trainer", {"task": "map"}, {"id": "str"}, "cogloop task add"),
    _op("task.add_many", "memory", "cli|trainer", {"tasks": "list"},
        {"ids": "list", "errors": "list"}, "cogloop import", "add several; per-task errors"),
    _op("task.list", "memory", "cli", {"status?": "str", "source?": "str", "limit?": "int"},
        {"tasks": "list"}, "cogloop task list"),
    _op("task.show", "memory", "cli", {"id": "str"}, {"task": "map"}, "cogloop task show ID"),
    _op("task.cancel", "memory", "cli", {"id": "str"}, {"id": "str", "status": "str"},
        "cogloop task cancel ID"),
    _op("task.lease", "memory", "builder", {"builder": "str", "ttl_s": "float"}, {"lease": "any"},
        "", "the next task's public view with lease_id and attempt_id, or nil"),
    _op("task.renew", "memory", "builder", {"lease_id": "str", "ttl_s": "float"}, {"ok": "bool"}),
    _op("task.release", "memory", "builder", {"lease_id": "str"}, {"ok": "bool"},
        "", "give a task back unattempted (stop, pause)"),
    _op("task.complete", "memory", "builder",
        {"lease_id": "str", "attempt_id": "str", "outcome": "str"}, {"task_status": "str"},
        "", "idempotent by attempt_id; outcome passed|failed"),
    _op("task.private", "memory", "scorer", {"id": "str"}, {"task": "map"},
        "", "the whole task with hidden and edge tests; refused to anyone but the scorer"),
    _op("queue.stats", "memory", "trainer|cli", {"source?": "str"}, {"stats": "map"}, "cogloop wait"),
    _op("attempt.record", "memory", "builder", {"attempt": "map"}, {"id": "str"},
        "", "idempotent by attempt id"),
    _op("score.record", "memory", "scorer", {"score": "map"}, {"id": "str"}),
    _op("reflection.record", "memory", "builder", {"reflection": "map"}, {"id": "str"}),
    _op("lesson.top", "memory", "builder", {"skill": "str", "limit?": "int"}, {"lessons": "list"}),
    _op("archive.similar", "memory", "builder",
        {"skill": "str", "difficulty": "int", "exclude_task?": "str"}, {"example": "any"}),
    _op("profile.snapshot", "memory", "trainer", {"profile": "map"}, {"id": "str"}),
    _op("profile.latest", "memory", "trainer|cli", {}, {"profile": "any"}),
    _op("scores.recent", "memory", "trainer|scorer", {"skill?": "str", "limit?": "int"},
        {"scores": "list"}),
    _op("event.log", "memory", "*", {"kind": "str", "body": "map"}, {"id": "str"}),
    # --- scorer ---------------------------------------------------------------------------
    _op("score.request", "scorer", "builder",
        {"attempt_id": "str", "task_id": "str", "code": "str", "builder": "str"}, {"score": "map"},
        "", "grade a candidate on hidden and edge tests; records the score and tells the trainer"),
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
]}
