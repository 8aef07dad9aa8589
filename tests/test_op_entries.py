"""Every op has one entry (actors/protocol), which the router enforces: who may send it, to whom,
its body. Checked here without processes: the registry, the router's rules (routing.py), the
control ops' modules, and the CLI's write path without a daemon."""

from __future__ import annotations

import importlib.util

import pytest

from actors import control
from actors import protocol as P
from actors.runtime import ACTOR_CLASSES
from actors.supervision import routing
from actors.supervision.children import ChildSpec
from actors.supervision.roster import Roster
from ops.ground.config import Config
from store.service import HANDLERS

pytestmark = pytest.mark.unit

KINDS = set(ACTOR_CLASSES) | {"supervisor", "cli", "*"}


def test_every_entry_names_known_kinds_and_has_one_handler_place():
    for op in P.OPS.values():
        assert op.senders <= KINDS and op.receivers <= KINDS, op
    memory_ops = {name for name, op in P.OPS.items() if op.to == "memory"}
    assert memory_ops == set(HANDLERS)  # store/service.py
    control_ops = {name for name, op in P.OPS.items() if op.to == "supervisor"}
    assert control_ops == set(control.HANDLERS)  # actors/control/, one module each
    with pytest.raises(ValueError, match="registered already"):
        P.register(P.Op("task.add", "memory", "*", {}, {}))
    with pytest.raises(ValueError, match="unknown field types"):
        P.register(P.Op("x.new", "memory", "*", {"a": "number"}, {}))


@pytest.mark.parametrize("op, sender, to, code", [
    ("task.private", "scorer", "memory", None),
    ("task.private", "builder", "memory", P.FORBIDDEN),  # the hidden tests
    ("task.private", "cli", "memory", P.FORBIDDEN),
    ("score.record", "builder", "memory", P.FORBIDDEN),  # a forged verdict
    ("score.record", "cli", "memory", P.FORBIDDEN),
    ("event.record", "echo", "memory", P.FORBIDDEN),
    ("actor.stop", "cli", "builder", P.FORBIDDEN),  # the supervisor's orders
    ("actor.stop", "supervisor", "builder", None),
    ("status", "builder", "supervisor", P.FORBIDDEN),  # the operator's
    ("llm.assign", "builder", "supervisor", None),  # an endpoint for a model request
    ("llm.done", "trainer", "supervisor", None),
    ("llm.assign", "cli", "supervisor", P.FORBIDDEN),  # the keys go to the actors that call a model
    ("llm.assign", "memory", "supervisor", P.FORBIDDEN),
    ("task.add", "?", "memory", P.FORBIDDEN),  # a stranger on the bus
    ("event.log", "?", "memory", None),
    ("task.add", "cli", "scorer", P.UNKNOWN_OP),  # not the addressee's op
    ("no.such", "cli", "memory", P.UNKNOWN_OP),
])
def test_admission(op, sender, to, code):
    refused = P.admit(op, sender, to)
    assert (refused.code if refused else None) == code
    if code == P.FORBIDDEN:
        assert refused.message.startswith(f"{op}: refused to {sender}; only ")


def test_check_is_admission_then_the_body():
    assert P.check("task.add", {"task": {}}, "cli", "memory") is None
    assert P.check("task.add", {"task": "x"}, "cli", "memory").code == P.BAD_REQUEST
    assert P.check("score.record", {"score": "x"}, "cli", "memory").code == P.FORBIDDEN


@pytest.fixture
def roster() -> Roster:
    r = Roster(Config())
    r.add([ChildSpec("memory", "memory"), ChildSpec("builder-1", "builder"), ChildSpec("echo-1", "echo")])
    for i, child in enumerate(r):
        child.life.started(100 + i, 0.0)
        child.life.heartbeat(100 + i, 0.1)
    return r


def ask(sender: str, to: str, op: str) -> dict:
    return P.envelope("ask", sender, to, op, {})


def test_router_admits_by_the_senders_and_addressees_kinds(roster):
    assert routing.request(roster, ask("builder-1", "memory", "task.lease"), "builder-1") is roster.get("memory")
    refused = routing.request(roster, ask("builder-1", "memory", "task.private"), "builder-1")
    assert refused == routing.Refuse(P.FORBIDDEN, "task.private: refused to builder; only scorer may send it")
    assert routing.request(roster, ask("echo-1", "builder-1", "echo"), "echo-1").code == P.UNKNOWN_OP
    assert routing.request(roster, ask("x", "memory", "task.add"), "x").code == P.FORBIDDEN
    assert routing.request(roster, ask("echo-1", "nobody", "echo"), "echo-1").code == P.UNAVAILABLE
    assert routing.request(roster, ask("echo-1", "supervisor", "status"), "echo-1").code == P.FORBIDDEN
    assert routing.request(roster, ask("echo-1", "cli", "echo"), "echo-1").code == P.UNKNOWN_OP
    # the supervisor serves what its entries let an actor send it: the LLM endpoints, to a builder
    assert routing.request(roster, ask("builder-1", "supervisor", "llm.assign"), "builder-1") == P.SUPERVISOR
    assert routing.request(roster, ask("echo-1", "supervisor", "llm.assign"), "echo-1").code == P.FORBIDDEN


def test_router_sends_nothing_to_a_child_that_takes_nothing(roster):
    memory = roster.get("memory")
    memory.life.exited(1, 1.0)
    memory.life.started(200, 1.0)
    memory.life.exited(1, 1.1)  # backoff: kept for after the restart
    assert routing.request(roster, ask("builder-1", "memory", "task.lease"), "builder-1") is memory
    memory.life.halt("stopping")
    refused = routing.request(roster, ask("builder-1", "memory", "task.lease"), "builder-1")
    assert refused == routing.Refuse(P.UNAVAILABLE, "no actor 'memory' is running")


def test_replies_go_back_to_whoever_asked(roster):
    reply = P.reply_to(ask("cli", "memory", "task.add"), "memory", {})
    assert routing.reply(roster, reply) == P.CLI
    assert routing.reply(roster, P.reply_to(ask("supervisor", "memory", "event.record"), "memory")) == P.SUPERVISOR
    assert routing.reply(roster, P.reply_to(ask("builder-1", "memory", "task.lease"), "memory")) is roster.get("builder-1")
    assert routing.reply(roster, P.reply_to(ask("gone", "memory", "task.lease"), "memory")) is None
    builder = roster.get("builder-1")
    assert not routing.straight_through(builder)
    builder.life.end("stop", True, 1.0)
    builder.proc = object()  # its process is still there: a reply skips the backlog
    assert routing.straight_through(builder)


@pytest.mark.parametrize("module", control.MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_each_control_op_documents_its_message_reply_and_cli_together(module):
    doc = module.__doc__ or ""
    for op in module.OPS:
        assert f"`{op.name}`" in doc.splitlines()[0] or f"`{op.name}`" in doc, op.name
        # the operator's, but for the LLM endpoints: the actors that call a model ask for those
        assert op.sender == ("builder|trainer" if module is control.llm else "cli") and op.to == "supervisor"
    for part in ("message", "reply", "CLI"):
        assert f"    {part}" in doc, (module.__name__, part)
    assert callable(module.handle)


def test_test_ops_are_a_plugin_not_the_daemons():
    """The tests' echo ops come from tests/testkinds.py (conftest loads it): nothing in the
    daemon's own modules declares them."""
    assert importlib.util.find_spec("actors.testkinds") is None
    assert "echo" in P.OPS and P.OPS["echo"].to == "echo|crash"
    assert ACTOR_CLASSES["echo"].startswith("tests.")
    shipped = {op.name for op in P._table.BUS_OPS} | set(control.HANDLERS)
    assert not {name for name in shipped if name.startswith("echo")}
