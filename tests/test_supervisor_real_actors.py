"""Supervision with the real actors (memory, scorer, trainer, builder) and a scripted LLM, not
only the echo test kinds: kill -9 of each in turn under a running daemon -> restarted, `status`
shows its restart count, and an ask forwarded to it right after the kill (while it restarts) is
delivered to the new process; a forward's `wait_s` bounds that wait; the `llm` child as an
external program (tests/fakellm.py run as a script through `embedded.command`) is supervised
the same way: kill -9 -> restarted, health-checked again, builders use it."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import psutil
import pytest

from ops.client import Client
from ops.ground.errors import CogloopError
from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, running_pid, wait_for
from tests.fakellm import FakeLLM
from tests.storehelp import task

pytestmark = pytest.mark.process

FAKELLM = Path(__file__).with_name("fakellm.py")


def kill_and_reap(d: Daemon, name: str) -> int:
    """kill -9 the child and wait until it is gone (reaped by the supervisor, which then restarts it)."""
    pid = d.child(name)["pid"]
    proc = psutil.Process(pid)
    proc.kill()
    proc.wait(10)
    return pid


def remote_code(fn, *args, **kw) -> str:
    """The error code an ask raised (CogloopError carries the supervisor's one-line message)."""
    try:
        fn(*args, **kw)
    except CogloopError as exc:
        return str(exc)
    raise AssertionError("expected an error")


@pytest.mark.timeout(120)
def test_kill_each_real_actor_in_turn_restarts_it_and_delivers_asks_sent_meanwhile(home) -> None:
    with FakeLLM(default="```python\ndef add(a, b):\n    return a + b\n```") as fake:
        d = Daemon(home, "memory:memory, scorer:scorer, trainer:trainer, builder-1:builder",
                   COGLOOP_LLM_URL=fake.url).start()
        try:
            # the loop really runs: a task goes through builder, scorer and memory
            first = d.forward("memory", "task.add", {"task": task(1)})["id"]
            wait_for(lambda: d.forward("memory", "task.show", {"id": first})["task"]["status"] == "passed",
                     timeout=60, what="the first task passed through the whole loop")
            asks = {
                "memory": ("task.add", {"task": task(2)}),
                "scorer": ("score.request", {"attempt_id": "a-none", "task_id": "t-none", "code": "x = 1",
                                             "builder": "cli"}),
                "trainer": ("trainer.status", {}),
                "builder-1": ("builder.status", {}),
            }
            for name, (op, body) in asks.items():
                old = kill_and_reap(d, name)
                # sent at once, while it restarts: held in its backlog, delivered to the new process
                try:
                    reply = d.forward(name, op, body, wait_s=20, timeout=30, retries=1)
                except CogloopError as exc:
                    reply = {"error": str(exc)}
                new = running_pid(d, name, old)
                assert new != old
                if name == "memory":
                    assert d.forward("memory", "task.show", {"id": reply["id"]})["task"]["title"] == "Add #2"
                elif name == "scorer":  # the scorer's own handler answered (it asked memory for the task)
                    assert "task t-none" in reply["error"], reply
                elif name == "trainer":
                    assert "abilities" in reply["profile"], reply
                else:
                    assert reply["status"]["builder"] == "builder-1", reply
                restarts = {c["name"]: c["restarts"] for c in d.children()}
                assert restarts[name] == 1, restarts
            out = subprocess.run(cogloop_cmd("status", "--home", str(home), "--json"), capture_output=True,
                                 text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            shown = json.loads(out.stdout)["children"]
            assert {c["name"]: c["restarts"] for c in shown} == dict.fromkeys(asks, 1)
            assert all(c["state"] == "running" for c in shown)
            # and the loop still works after all that
            last = d.forward("memory", "task.add", {"task": task(3)})["id"]
            wait_for(lambda: d.forward("memory", "task.show", {"id": last})["task"]["status"] in ("passed", "failed"),
                     timeout=60, what="a task through the restarted loop")
        finally:
            d.stop()


@pytest.mark.timeout(90)
def test_forward_to_an_actor_in_backoff_waits_times_out_undelivered_or_is_delivered(home) -> None:
    d = Daemon(home, "memory:memory", COGLOOP_DAEMON_BACKOFF_S="3").start()
    try:
        old = kill_and_reap(d, "memory")  # first crash: restarted at once
        old = kill_and_reap(d, "memory") if running_pid(d, "memory", old) else None  # second: 3 s backoff
        wait_for(lambda: d.child("memory")["state"] == "backoff", what="memory in backoff")
        # no wait_s: answered at once
        assert "not running (backoff)" in remote_code(d.forward, "memory", "task.add", {"task": task(1)})
        # a short wait_s: not delivered, and says so
        err = remote_code(d.forward, "memory", "task.add", {"task": task(2)}, wait_s=0.3, timeout=10, retries=1)
        assert "still not running" in err
        # a long one: held in the backlog (status shows it), delivered after the restart
        result: list = []
        t = threading.Thread(target=lambda: result.append(
            d.forward("memory", "task.add", {"task": task(3)}, wait_s=20, timeout=30, retries=1)))
        t.start()
        watcher = Client(home, timeout=3.0, retries=2)
        try:
            wait_for(lambda: next(c for c in watcher.call("status")["status"]["children"]
                                  if c["name"] == "memory")["backlog"] == 1, what="the forward in the backlog")
        finally:
            watcher.close()
        t.join(30)
        assert result and result[0]["id"]
        running_pid(d, "memory", old)
        titles = [r["title"] for r in Store.open(home / "history.db", readonly=True).rows("SELECT title FROM tasks")]
        assert titles == ["Add #3"]  # the refused and the timed-out ones never reached memory
    finally:
        d.stop()


@pytest.mark.timeout(120)
def test_llm_child_as_an_external_program_is_restarted_and_health_checked(home) -> None:
    d = Daemon(home, "llm:llm, memory:memory, builder-1:builder", COGLOOP_LLM_URL="",
               COGLOOP_EMBEDDED_COMMAND=f"{{python}} {FAKELLM} --port {{port}} --model scripted")
    d.env.pop("OPENAI_BASE_URL", None)
    d.start()
    try:
        st = wait_for(lambda: (s := d.status())["llm"]["state"] == "ok" and s, what="the llm child healthy")
        assert st["llm"]["model"] == "scripted" and st["llm"]["url"].startswith("http://127.0.0.1:")
        llm = d.child("llm")
        assert llm["state"] == "running" and psutil.Process(llm["pid"]).cmdline()[-4:] == \
            ["--port", st["llm"]["url"].split(":")[-1].split("/")[0], "--model", "scripted"]
        old = kill_and_reap(d, "llm")
        new = running_pid(d, "llm", old)  # running again only once its /v1/models answers
        assert d.child("llm")["restarts"] == 1 and new != old
        wait_for(lambda: d.status()["llm"]["state"] == "ok", what="the probe sees it again")
        tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
        wait_for(lambda: Store.open(home / "history.db", readonly=True).rows(
            "SELECT id FROM attempts WHERE task_id = ? AND status != 'running'", [tid]), timeout=60,
            what="the builder to use the restarted server")
    finally:
        d.stop()
