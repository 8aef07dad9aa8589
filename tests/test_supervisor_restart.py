"""Crash, hang and intensity handling with real processes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from ops.client import RemoteFailure
from tests.daemon_helpers import Daemon, crash_into_backoff, running_pid, wait_for

pytestmark = pytest.mark.process


@pytest.fixture
def daemon(home):
    d = Daemon(home, "echo-1:echo,echo-2:echo,echo-3:echo").start()
    yield d
    d.stop()


def test_kill_9_each_actor_restarts_it_and_counts(daemon):
    for name in ("echo-1", "echo-2", "echo-3"):
        old = daemon.child(name)["pid"]
        os.kill(old, signal.SIGKILL)
        new = running_pid(daemon, name, old)
        assert new != old
        assert daemon.child(name)["restarts"] == 1
        assert daemon.forward(name, "echo", {"n": 1})["pid"] == new
    assert [c["restarts"] for c in daemon.children()] == [1, 1, 1]


def test_messages_sent_during_a_restart_are_delivered_after_it(daemon):
    # Two crashes in a row: the second restart waits (backoff 0.3s), so echo-2 is down
    # while echo-1 asks it; the asks wait in echo-2's backlog and are answered after.
    old = crash_into_backoff(daemon, "echo-2")
    out = daemon.forward("echo-1", "echo.relay", {"to": "echo-2", "count": 5, "timeout": 10.0}, timeout=15)
    assert out["errors"] == []
    new = daemon.child("echo-2")["pid"]
    assert [r["echo"]["i"] for r in out["replies"]] == [0, 1, 2, 3, 4]
    assert {r["pid"] for r in out["replies"]} == {new} and new != old
    assert daemon.child("echo-2")["restarts"] == 2


def test_cli_ask_to_an_actor_that_is_down_fails_at_once(daemon):
    crash_into_backoff(daemon, "echo-3")
    started = time.monotonic()
    with pytest.raises(RemoteFailure) as info:
        daemon.forward("echo-3", "echo", {}, retries=1)
    assert info.value.code == "unavailable" and time.monotonic() - started < 1.0


def test_hung_actor_is_detected_and_replaced(daemon):
    old = daemon.child("echo-1")["pid"]
    os.kill(old, signal.SIGSTOP)  # alive, silent: the heartbeats stop
    new = running_pid(daemon, "echo-1", old)
    assert new != old
    wait_for(lambda: not _alive(old), what="the hung process gone")
    assert daemon.forward("echo-1", "echo", {})["pid"] == new


def test_freeze_through_the_bus_is_a_hang_too(daemon):
    old = daemon.child("echo-2")["pid"]
    started = time.monotonic()
    try:  # the process stops itself mid-ask; SIGTERM+SIGCONT may let it answer as it dies
        daemon.forward("echo-2", "echo.freeze", {}, timeout=8, retries=1)
    except RemoteFailure as exc:  # or the supervisor answers for it once it is gone
        assert exc.code == "unavailable"
    assert time.monotonic() - started < 5  # never the client's own timeout
    assert running_pid(daemon, "echo-2", old) != old


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0): ask /proc
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def test_crash_at_start_goes_fatal_others_serve_and_restart_revives(home):
    (home / "crashy.crash").write_text("crash while this exists")
    d = Daemon(home, "echo-1:echo,crashy:crash").start(wait_running=False)
    try:
        wait_for(lambda: d.child("crashy")["state"] == "fatal", timeout=20, what="crashy fatal")
        assert d.child("crashy")["restarts"] == 4  # intensity 3: the 4th restart in 30s is one too many
        assert d.child("echo-1")["state"] == "running"
        assert d.forward("echo-1", "echo", {"still": "here"})["echo"] == {"still": "here"}
        with pytest.raises(RemoteFailure) as info:
            d.forward("crashy", "echo", {}, retries=1)
        assert info.value.code == "unavailable"
        (home / "crashy.crash").unlink()
        from tests.conftest import cogloop_cmd
        import subprocess
        out = subprocess.run(cogloop_cmd("restart", "crashy", "--home", str(home)), capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        pid = running_pid(d, "crashy")
        assert d.forward("crashy", "echo", {})["pid"] == pid
    finally:
        d.stop()


def test_a_flood_is_back_pressure_not_unavailability(home):
    # 20000 tells overrun the actor's pipe (zmq HWM 1000): the rest wait in the backlog and
    # arrive in order; the actor stays "running" and answers the operator meanwhile.
    d = Daemon(home, "echo-1:echo,echo-2:echo", COGLOOP_DAEMON_BACKLOG="30000").start()
    try:
        before = d.forward("echo-2", "echo.stats")["handled"]
        assert d.forward("echo-1", "echo.flood", {"to": "echo-2", "count": 20000}, timeout=60)["sent"] == 20000
        wait_for(lambda: d.forward("echo-2", "echo.stats", timeout=30)["handled"] - before >= 20000,
                 timeout=60, what="all 20000 tells handled")
        assert d.forward("echo-2", "echo.stats")["handled"] - before == 20000
        assert d.child("echo-2")["restarts"] == 0
    finally:
        d.stop()
