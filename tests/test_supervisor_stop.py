"""Stopping promptly with the real actors: a builder stuck in a hanging LLM call stops at once,
gives its task back (not counted as an attempt) and `cogloop down` returns within the grace
period leaving no process; a builder killed -9 mid-attempt reclaims its stale lease when its
restarted process leases again, instead of leaving the task leased until the TTL."""

from __future__ import annotations

import subprocess
import time

import psutil
import pytest

from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, running_pid, wait_for
from tests.fakellm import FakeLLM
from tests.storehelp import task

pytestmark = pytest.mark.process

GRACE_S = 5.0


def db_rows(home, sql, params=()):
    return Store.open(home / "history.db", readonly=True).rows(sql, list(params))


def alive(pids):
    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


def leased_by_builder(d, tid, fake, n):
    """The task is leased and the builder's LLM call (the n-th) is hanging."""
    shown = d.forward("memory", "task.show", {"id": tid})["task"]
    return shown["status"] == "leased" and len(fake.chat_requests) >= n and shown


@pytest.mark.timeout(90)
def test_down_with_a_hanging_llm_returns_within_grace_and_requeues_the_task(home) -> None:
    with FakeLLM(default={"hang": 120.0}) as fake:
        d = Daemon(home, "memory:memory, scorer:scorer, builder-1:builder", COGLOOP_LLM_URL=fake.url,
                   COGLOOP_LLM_TIMEOUT_S="300", COGLOOP_LLM_RETRIES="0",
                   COGLOOP_DAEMON_STOP_GRACE_S=str(GRACE_S)).start()
        try:
            tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
            wait_for(lambda: leased_by_builder(d, tid, fake, 1), timeout=30, what="the builder in its LLM call")
            pids = [d.proc.pid] + [p.pid for p in d.descendants()]
            t0 = time.monotonic()
            down = subprocess.run(cogloop_cmd("down", "--home", str(home)), capture_output=True, text=True,
                                  timeout=60)
            took = time.monotonic() - t0
            assert down.returncode == 0, down.stderr
            print(f"\ncogloop down with the builder in a hanging LLM call: {took:.2f} s "
                  f"(grace {GRACE_S:g} s, CLI start-up included)")
            assert took < GRACE_S
            assert alive(pids) == []
        finally:
            d.stop()
    t = db_rows(home, "SELECT status, attempts, leased_by FROM tasks WHERE id = ?", [tid])[0]
    assert t == {"status": "queued", "attempts": 0, "leased_by": None}  # given back, not counted
    assert [a["status"] for a in db_rows(home, "SELECT status FROM attempts WHERE task_id = ?", [tid])] == \
        ["released"]
    log = (home / "logs" / "builder-1.log").read_text()
    assert "giving task" in log and "did not stop within" not in log


@pytest.mark.timeout(90)
def test_builder_killed_mid_attempt_reclaims_its_lease_after_restart(home) -> None:
    with FakeLLM(default={"hang": 120.0}) as fake:
        d = Daemon(home, "memory:memory, builder-1:builder", COGLOOP_LLM_URL=fake.url,
                   COGLOOP_LLM_TIMEOUT_S="300", COGLOOP_LLM_RETRIES="0").start()
        try:
            tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
            wait_for(lambda: leased_by_builder(d, tid, fake, 1), timeout=30, what="the first attempt")
            old = d.child("builder-1")["pid"]
            psutil.Process(old).kill()
            running_pid(d, "builder-1", old)
            # The lease TTL is 900 s: only the reclaim can put the task back this soon.
            second = wait_for(lambda: (s := leased_by_builder(d, tid, fake, 2)) and s["lost"] == 1
                              and s, timeout=30, what="the restarted builder to lease the task again")
            # the killed attempt is lost work (a task that keeps killing builders ends as error), not a verdict
            assert (second["attempts"], second["lost"]) == (0, 1)
            rows = db_rows(home, "SELECT status, attempt_no, lost FROM attempts WHERE task_id = ? ORDER BY attempt_no",
                           [tid])
            assert rows == [{"status": "expired", "attempt_no": 1, "lost": "builder restarted (lease reclaimed)"},
                            {"status": "running", "attempt_no": 2, "lost": None}]
            assert db_rows(home, "SELECT actor FROM events WHERE kind = 'lease.reclaimed'") == [{"actor": "builder-1"}]
            assert d.child("builder-1")["restarts"] == 1
        finally:
            d.stop()


@pytest.mark.timeout(60)
def test_a_child_that_ignores_sigterm_cannot_stretch_the_stop_beyond_the_grace(home) -> None:
    # the `llm` child slot running a program that ignores SIGTERM (a model server slow to shut down)
    stubborn = "{python} -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'"
    d = Daemon(home, "llm:llm, echo-1:echo, echo-2:echo", COGLOOP_LLM_URL="", COGLOOP_EMBEDDED_COMMAND=stubborn,
               COGLOOP_DAEMON_STOP_GRACE_S="2")
    d.start(wait_running=False)
    try:
        wait_for(lambda: {c["name"]: c["state"] for c in d.children()} ==
                 {"llm": "starting", "echo-1": "running", "echo-2": "running"}, timeout=30, what="the children up")
        pids = [d.proc.pid] + [p.pid for p in d.descendants()]
        t0 = time.monotonic()
        d.proc.terminate()
        assert d.proc.wait(30) == 0
        took = time.monotonic() - t0
        print(f"\nstop with a child ignoring SIGTERM: {took:.2f} s (grace 2 s)")
        assert took < 2.0 + 2.0  # the grace, plus reaping on a busy machine
        assert alive(pids) == []
        text = d.err.read_text()
        assert "'name': 'echo-2', 'state': 'stopped'" in text and "'returncode': -9" in text  # llm: SIGKILL
    finally:
        d.stop()
