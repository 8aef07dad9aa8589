"""Every restart and error on record (issue 10): the supervisor's outbox delivers its events to
Memory exactly once, across kill -9 of Memory and of the supervisor itself; `report` reads them.

The outbox unit tests use a spool file and no process; the rest run real daemons."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from actors.supervision import outbox as ob
from actors.supervision.lifecycle import exit_reason
from actors.supervision.llmstate import state_kind
from actors.supervision.outbox import Outbox, event_actor
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, running_pid, wait_for


# --- the outbox, no processes ------------------------------------------------------------------

@pytest.mark.unit
def test_events_wait_for_their_ack_and_are_resent_until_then(tmp_path):
    box = Outbox(tmp_path / "events.spool")
    a = box.add("child.crash", {"name": "builder-1", "pid": 7}, ts=1_800_000_000.0)
    b = box.add("supervisor.paused", {"paused": True}, ts=1_800_000_001.0)
    assert (a["actor"], b["actor"], a["ts"]) == ("builder-1", "supervisor", "2027-01-15T08:00:00.000000Z")
    assert box.due(now=100.0, max_bytes=1 << 20) == [a, b]
    assert box.due(now=101.0, max_bytes=1 << 20) == []  # in flight
    assert box.due(now=100.0 + ob.RESEND_S, max_bytes=1 << 20) == [a, b]  # no ack: again
    assert box.ack([a["id"], "unknown"]) == 1
    box.reset()  # Memory restarted: the rest goes at once
    assert box.due(now=106.0, max_bytes=1 << 20) == [b]
    box.unsent([b])  # its pipe was full
    assert box.due(now=106.5, max_bytes=1 << 20) == [b]
    assert box.ack([b["id"]]) == 1 and box.pending == {}
    assert (tmp_path / "events.spool").read_text() == ""  # emptied once nothing is pending


@pytest.mark.unit
def test_the_spool_outlives_the_process_and_a_torn_line_is_skipped(tmp_path):
    spool = tmp_path / "events.spool"
    box = Outbox(spool)
    kept = box.add("child.fatal", {"name": "scorer"}, ts=1.0)
    acked = box.add("child.restart", {"name": "scorer"}, ts=2.0)
    box.ack([acked["id"]])
    with spool.open("a") as f:
        f.write('{"e": {"id": "torn", "kind": "child.cr')  # a kill -9 in the middle of a write
    again = Outbox(spool)  # the next supervisor
    assert list(again.pending) == [kept["id"]] and again.pending[kept["id"]] == kept
    assert [json.loads(line)["e"]["id"] for line in spool.read_text().splitlines()] == [kept["id"]]


@pytest.mark.unit
def test_batches_stay_under_the_message_limit_and_the_oldest_go_first_when_full(tmp_path, monkeypatch):
    box = Outbox(tmp_path / "events.spool")
    events = [box.add("child.restart", {"name": f"b{n}", "reason": "x" * 200}, ts=float(n)) for n in range(5)]
    size = box.sizes[events[0]["id"]]
    assert 300 < size < 400
    assert box.due(now=0.0, max_bytes=2 * size + 10) == events[:2]
    assert box.due(now=0.0, max_bytes=10) == [events[2]]  # one at least, however small the limit
    monkeypatch.setattr(ob, "MAX_PENDING", 5)
    box.add("child.restart", {"name": "new"}, ts=9.0)
    assert events[0]["id"] not in box.pending and len(box.pending) == 5 and box.dropped == 1


@pytest.mark.unit
def test_small_pure_helpers():
    assert event_actor("child.hung", {"name": "memory"}) == "memory"
    assert event_actor("llm.state", {}) == "llm" and event_actor("supervisor.reloaded", {}) == "supervisor"
    assert exit_reason(-9) == "killed by SIGKILL" and exit_reason(1) == "exit status 1"
    assert state_kind("waiting: not probed yet") is None and state_kind("down: HTTP 503") == "down"
    assert state_kind("ok") == state_kind("busy") == "ok"  # a generating server is no news
    assert state_kind("breaker open until 12:00:01: HTTP 500: x") == "breaker open"
    assert state_kind("erroring: HTTP 500: x") == "erroring"


# --- real daemons --------------------------------------------------------------------------------

def events(home: Path, kind: str | None = None) -> list[dict]:
    with sqlite3.connect((home / "history.db").absolute().as_uri() + "?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        sql = "SELECT id, ts, kind, actor, body FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY ts"
        return [dict(r, body=json.loads(r["body"])) for r in conn.execute(sql, (kind,) if kind else ())]


def recorded(home: Path, kind: str, n: int = 1, **match) -> list[dict]:
    def check():
        try:
            found = [e for e in events(home, kind) if all(e["body"].get(k) == v for k, v in match.items())]
        except sqlite3.OperationalError:  # Memory has not created the database (or its tables) yet
            return None
        return found if len(found) >= n else None
    return wait_for(check, timeout=20, what=f"{n} {kind} event(s) {match} on record")


@pytest.fixture
def daemon(home):
    d = Daemon(home, "memory:memory,echo-1:echo").start()
    yield d
    d.stop()


@pytest.mark.process
def test_finding_restarts_and_errors_reach_the_record_and_the_report(daemon, home):
    """Issue 10: after a crash and a manual restart (both in the supervisor log) the events table
    held only lease.reclaimed, and `report` said 0 restarts, 0 errors."""
    pid = daemon.child("echo-1")["pid"]
    os.kill(pid, signal.SIGKILL)
    running_pid(daemon, "echo-1", pid)
    daemon.client.call("restart", {"actor": "echo-1"})
    daemon.client.call("pause")
    daemon.client.call("resume")
    [crash] = recorded(home, "child.crash", name="echo-1")
    assert (crash["actor"], crash["body"]["pid"], crash["body"]["reason"]) == ("echo-1", pid, "killed by SIGKILL")
    reasons = {e["body"]["reason"] for e in recorded(home, "child.restart", 2, name="echo-1")}
    assert reasons == {"killed by SIGKILL", "operator"}
    recorded(home, "supervisor.resumed")
    assert [e["kind"] for e in events(home, "supervisor.paused")] == ["supervisor.paused"]
    out = subprocess.run(cogloop_cmd("report", "--json", "--home", str(home)), capture_output=True, text=True)
    report = json.loads(out.stdout)["events"]
    assert report["restarts"] == 2 and report["errors"] >= 1
    assert report["by_actor"]["echo-1"] == {"restarts": 2, "errors": 1}
    text = subprocess.run(cogloop_cmd("report", "--home", str(home)), capture_output=True, text=True).stdout
    assert "restarts 2" in text and "echo-1" in text


@pytest.mark.process
def test_memory_killed_records_its_own_crash_once_after_it_is_back(daemon, home):
    recorded(home, "supervisor.start")
    old = daemon.child("memory")["pid"]
    os.kill(old, signal.SIGKILL)
    running_pid(daemon, "memory", old)
    recorded(home, "child.crash", name="memory", pid=old)
    daemon.client.call("pause")  # and the next event still goes through
    recorded(home, "supervisor.paused")
    assert len(events(home, "child.crash")) == 1 and len(events(home, "supervisor.start")) == 1


@pytest.mark.process
def test_a_supervisor_killed_9_loses_no_event_and_its_unclean_exit_is_recorded(home):
    first = Daemon(home, "echo-1:echo")  # no Memory: every event waits in the spool
    try:
        first.start()
        pid = first.child("echo-1")["pid"]
        os.kill(pid, signal.SIGKILL)
        running_pid(first, "echo-1", pid)
        wait_for(lambda: "child.crash" in (home / "run" / "events.spool").read_text(), what="the crash spooled")
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait()
    finally:
        first.stop()
    second = Daemon(home, "memory:memory,echo-1:echo")
    try:
        second.start()
        [crash] = recorded(home, "child.crash", name="echo-1", pid=pid)
        [unclean] = recorded(home, "supervisor.crash", pid=first.proc.pid)
        assert unclean["actor"] == "supervisor"
        starts = recorded(home, "supervisor.start", 2)
        assert [s["body"]["unclean_exit_of"] for s in starts] == [None, first.proc.pid]
        assert crash["ts"] < unclean["ts"]  # recorded with the time it happened, not when delivered
    finally:
        second.stop()
    assert (home / "run" / "events.spool").read_text() == ""
    assert len(events(home, "child.crash")) == 1  # and each once
