"""The supervisor's forward table and a child's backlog (actors/supervision/forwards.py,
backlog.py) and the roster's ordered start: pure, no process. (The LLM endpoints and their
events: tests/test_endpoint_table.py.)"""

from __future__ import annotations

import pytest

from actors.supervision.backlog import Backlog, meta_of
from actors.supervision.children import ChildSpec
from actors.supervision.forwards import ForwardTable
from actors.supervision.roster import MAX_REMOTE, Roster
from ops.ground.config import Config
from ops.ground.errors import CogloopError

pytestmark = pytest.mark.unit


def meta(i: int, sender: str = "echo-1") -> dict:
    return {"id": f"m{i}", "kind": "ask", "from": sender, "op": "echo"}


def test_backlog_keeps_order_stops_at_a_full_pipe_and_is_bounded():
    b = Backlog(capacity=3)
    assert all(b.push(f"f{i}".encode(), meta(i)) for i in range(3))
    assert b.full and not b.push(b"f3", meta(3)) and len(b) == 3
    pipe: list[bytes] = []
    assert b.flush(lambda frame: len(pipe) < 2 and not pipe.append(frame)) == 2
    assert pipe == [b"f0", b"f1"] and [m["id"] for m in b] == ["m2"]
    assert b.flush(lambda frame: True) == 1 and not b


def test_backlog_take_and_drain():
    b = Backlog(capacity=10)
    for i in range(4):
        b.push(b"x", meta(i))
    assert b.take("m2") == meta(2) and b.take("m2") is None
    assert [m["id"] for m in b.drain()] == ["m0", "m1", "m3"] and len(b) == 0
    env = {"id": "a", "kind": "tell", "from": "x", "op": "y", "to": "z", "body": {}}
    assert meta_of(env) == {"id": "a", "kind": "tell", "from": "x", "op": "y"}


def test_forward_table_answers_expiry_and_capacity():
    t = ForwardTable(ttl_s=10.0, capacity=2)
    t.add("f1", [b"client"], {"id": "r1"}, "memory", now=0.0)
    t.add("f2", [b"client"], {"id": "r2"}, "echo-1", now=5.0)
    assert t.full and len(t) == 2 and "f1" in t
    assert t.to("memory") == ["f1"]
    assert t.expired(9.0) == [] and t.expired(10.5) == ["f1"]
    fwd = t.pop("f1")
    assert fwd.prefix == [b"client"] and fwd.request == {"id": "r1"} and t.pop("f1") is None
    assert not t.full


def test_a_forward_wait_is_over_once():
    t = ForwardTable(ttl_s=600.0)
    t.add("f1", [], {}, "echo-1", now=0.0, wait_s=2.0)
    t.add("f2", [], {}, "echo-1", now=0.0)
    t.add("f3", [], {}, "echo-1", now=0.0, wait_s=5000.0)  # capped by the TTL
    assert t.waits_over(1.0) == []
    assert t.waits_over(2.5) == ["f1"] and t.waits_over(3.0) == []
    assert "f1" in t  # still waiting for its answer: only the wait is over
    assert t.get("f3").wait_until == 600.0
    t.pop("f3")
    assert t.waits_over(10_000.0) == []


def roster(children: str = "a:echo,b:echo,c:echo") -> Roster:
    cfg = Config()
    cfg.daemon.backlog = 7
    r = Roster(cfg)
    r.add([ChildSpec(*item.split(":")) for item in children.split(",")])
    return r


def test_ordered_start_waits_for_the_one_before():
    r = roster()
    a = r.next_to_start()
    assert a.name == "a" and not r.started_all
    a.life.started(1, 0.0)  # what the shell does with each
    assert r.next_to_start() is None  # a is starting: b waits
    a.life.heartbeat(1, 0.1)
    b = r.next_to_start()
    assert b.name == "b"
    b.life.started(2, 0.2)
    b.life.exited(1, 0.3)  # crashed at start: given up on for now (backoff), c goes on
    b.life.started(3, 0.3)
    b.life.exited(1, 0.4)
    assert r.next_to_start().name == "c" and r.started_all and r.next_to_start() is None


def test_roster_names_kinds_joins_and_retires():
    r = roster()
    assert r.kind_of("a") == "echo" and r.kind_of("stranger") == "?"
    assert r.get("a").backlog.capacity == 7
    with pytest.raises(CogloopError, match=r"no child named 'x' \(children: a, b, c\)"):
        r.local("x")
    assert r.join("far-1", "nope", {"echo"}) is None
    far = r.join("far-1", "echo", {"echo"})
    assert far.remote and [c.name for c in r.listed()] == ["a", "b", "c", "far-1"]
    for i in range(MAX_REMOTE - 1):
        assert r.join(f"far-{i + 2}", "echo", {"echo"}) is not None
    assert r.join("one-too-many", "echo", {"echo"}) is None
    gone = r.retire({"b"})
    assert [c.name for c in gone] == ["a", "c"] and r.order == ["b"]
    cfg = Config()
    cfg.daemon.backlog, cfg.daemon.stop_grace_s = 3, 9.0
    r.configure(cfg)
    assert r.get("b").backlog.capacity == 3 and r.get("b").life.timing.grace_s == 9.0
