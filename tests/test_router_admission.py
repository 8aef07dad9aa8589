"""The router enforces each op's entry on real sockets: a message from a sender the entry does
not allow gets an error reply (or, a tell, is dropped) and changes nothing. Before the entries
were enforced, a builder could record a verdict, the operator could stop an actor by hand,
any actor could ask the supervisor's control ops over the bus, and a stranger's identity on
the bus could add tasks."""

from __future__ import annotations

import time

import pytest
import zmq

from actors import protocol as P
from ops.client import RemoteFailure
from tests.daemon_helpers import Daemon, wait_for

pytestmark = pytest.mark.process

SCORE = {"attempt_id": "a-1", "task_id": "t-1", "total": 1.0, "passed": True}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("admithome"), "memory:memory,echo-1:echo").start()
    yield d
    d.stop()


def as_echo(d: Daemon, to: str, op: str, body: dict) -> dict:
    """What `to` (or the router) answers echo-1 asking `op`: {"reply": ...} or {"error": ...}."""
    return d.forward("echo-1", "echo.ask", {"to": to, "op": op, "body": body}, timeout=20)


def test_an_actor_is_refused_what_its_kind_may_not_send(daemon):
    for op, body, only in (("score.record", {"score": SCORE}, "scorer"),
                           ("task.private", {"id": "t-1"}, "scorer"),
                           ("event.record", {"events": []}, "supervisor")):
        out = as_echo(daemon, "memory", op, body)
        assert out["error"] == {"code": P.FORBIDDEN, "message": f"{op}: refused to echo; only {only} may send it"}
    out = as_echo(daemon, "memory", "echo", {})  # an op that does not go there
    assert out["error"] == {"code": P.UNKNOWN_OP, "message": "echo goes to echo or crash, not to memory"}
    assert as_echo(daemon, "memory", "queue.stats", {}).get("error", {}).get("code") == P.FORBIDDEN
    assert as_echo(daemon, "memory", "event.log", {"kind": "x.y", "body": {}})["reply"]["id"]  # anyone's
    assert daemon.forward("memory", "scores.recent", {})["scores"] == []  # no verdict got through


def test_the_operator_is_refused_an_actors_part(daemon):
    pid = daemon.child("echo-1")["pid"]
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("echo-1", "actor.stop", {})
    assert err.value.code == P.FORBIDDEN and "only supervisor may send it" in err.value.message
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("memory", "score.record", {"score": SCORE})
    assert err.value.code == P.FORBIDDEN
    with pytest.raises(RemoteFailure) as err:
        daemon.forward("memory", "echo", {})
    assert err.value.code == P.UNKNOWN_OP
    time.sleep(0.5)
    assert daemon.child("echo-1")["pid"] == pid and daemon.child("echo-1")["state"] == "running"


def test_a_stranger_on_the_bus_gets_errors_and_adds_nothing(daemon):
    zctx = zmq.Context()
    sock = zctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.IDENTITY, b"stranger")
    sock.connect(f"ipc://{daemon.home / 'run' / 'bus.sock'}")
    codec = P.Codec()
    try:
        task = {"title": "t", "prompt": "p", "skill": "math", "difficulty": 1, "entry_point": "f",
                "hidden_tests": "assert candidate() == 1\n"}
        sock.send(codec.encode(P.envelope("tell", "stranger", "memory", "task.add", {"task": task})))
        ask = P.envelope("ask", "stranger", "memory", "task.add", {"task": task})
        sock.send(codec.encode(ask))
        assert sock.poll(10_000)
        answer = codec.decode(sock.recv())
        assert answer["re"] == ask["id"] and answer["kind"] == "error"
        assert answer["body"] == {"code": P.FORBIDDEN, "message": "task.add: refused to ?; only cli or trainer may send it"}
        status = P.envelope("ask", "stranger", "supervisor", "status", {})  # the operator's, on its socket
        sock.send(codec.encode(status))
        assert sock.poll(10_000)
        answer = codec.decode(sock.recv())
        assert answer["re"] == status["id"] and answer["body"]["code"] == P.FORBIDDEN
    finally:
        sock.close(0)
        zctx.term()
    wait_for(lambda: daemon.forward("memory", "queue.stats", {})["stats"]["total"] == 0, timeout=2,
             what="no task added")
    assert "stranger" not in [c["name"] for c in daemon.children()]
