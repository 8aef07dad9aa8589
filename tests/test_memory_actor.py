"""The Memory actor: its handlers called directly against a Store, then the real thing in a
supervisor, reached through the control socket by the CLI."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from actors import protocol as P
from actors.memory import MemoryActor, error_code
from actors.runtime import ActorContext, ActorError
from ops.client import RemoteFailure
from ops.ground.config import Config
from store import Store, StoreFull, TaskInvalid
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, running_pid, wait_for
from tests.storehelp import Clock, task


@pytest.fixture
def memory(home):
    clock = Clock()
    actor = MemoryActor(ActorContext("memory", "memory", home, Config(), bus=None),
                        store=Store.open(home / "history.db", clock=clock))
    actor.clock = clock
    yield actor
    actor.store.close()


def env(sender):
    return {"from": sender}


@pytest.mark.unit
def test_handlers_cover_every_memory_op():
    memory_ops = {name for name, op in P.OPS.items() if op.to == "memory"}
    assert {getattr(m, "_cogloop_op", None) for m in vars(MemoryActor).values()} - {None} == memory_ops


@pytest.mark.unit
def test_serve_maps_store_errors_to_protocol_codes(memory):
    tid = memory.serve("task.add", {"task": task(1)}, env("cli"))["id"]
    assert memory.serve("task.private", {"id": tid}, env("scorer"))["task"]["reference"]
    with pytest.raises(ActorError) as err:
        memory.serve("task.show", {"id": "nope"}, env("cli"))
    assert err.value.code == P.NOT_FOUND and "no task with id 'nope'" in err.value.message
    with pytest.raises(ActorError) as err:
        memory.serve("task.add", {"task": task(2, difficulty=42)}, env("trainer"))
    assert err.value.code == P.BAD_REQUEST and "difficulty: expected 1..10, got 42" in err.value.message
    assert error_code(StoreFull("x")) == P.INTERNAL and error_code(TaskInvalid(["x"])) == P.BAD_REQUEST


@pytest.mark.unit
def test_work_sweeps_expired_leases_and_logs_it(memory):
    tid = memory.serve("task.add", {"task": task(1)}, env("cli"))["id"]
    memory.serve("task.lease", {"builder": "builder-1", "ttl_s": 5.0}, env("builder-1"))
    assert memory.work() == memory.sweep_s
    assert memory.store.get_task(tid)["status"] == "leased"
    memory.clock.tick(6)
    memory.work()
    assert memory.store.get_task(tid)["status"] == "queued"
    [event] = memory.store.db["events"].rows
    assert (event["kind"], event["actor"]) == ("lease.expired", "memory")


# --- through a real supervisor and bus -----------------------------------------------------

@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """One supervisor with a real Memory child for the tests below (each uses its own tasks)."""
    d = Daemon(tmp_path_factory.mktemp("memhome"), "memory:memory").start()
    yield d
    d.stop()


def cli(home, *argv):
    return subprocess.run(cogloop_cmd(*argv, "--home", str(home)), capture_output=True, text=True, timeout=60)


@pytest.mark.process
def test_cli_writes_go_through_the_daemon(daemon, tmp_path):
    home = daemon.home
    hidden = tmp_path / "hidden.py"
    hidden.write_text("assert candidate(1) == 2\n")
    add = cli(home, "task", "add", "--title", "Inc", "--prompt", "def inc(x): ...", "--skill", "math",
              "--difficulty", "1", "--entry-point", "inc", "--hidden-tests", str(hidden))
    assert add.returncode == 0, add.stderr
    tid = add.stdout.strip()
    shown = daemon.forward("memory", "task.show", {"id": tid})["task"]
    assert shown["title"] == "Inc" and "hidden_tests" not in shown
    bad = cli(home, "task", "add", "--title", "Bad", "--prompt", "p", "--skill", "math", "--difficulty", "0",
              "--entry-point", "inc", "--hidden-tests", str(hidden))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "difficulty: expected 1..10, got 0" in bad.stderr
    with pytest.raises(RemoteFailure) as err:  # the CLI is not the scorer
        daemon.forward("memory", "task.private", {"id": tid})
    assert err.value.code == P.FORBIDDEN
    cancel = cli(home, "task", "cancel", tid, "--json")
    assert cancel.returncode == 0 and '"cancelled"' in cancel.stdout
    assert daemon.forward("memory", "queue.stats", {})["stats"]["cancelled"] == 1
    listed = cli(home, "task", "list", "--json")  # reads go straight to the database
    assert listed.returncode == 0 and tid in listed.stdout


@pytest.mark.process
def test_memory_requeues_expired_leases_and_survives_kill_9(daemon):
    tid = daemon.forward("memory", "task.add", {"task": task(1, id="expiring", priority=99)})["id"]
    lease = daemon.forward("memory", "task.lease", {"builder": "builder-9", "ttl_s": 0.3})["lease"]
    assert lease["task"]["id"] == tid
    wait_for(lambda: daemon.forward("memory", "task.show", {"id": tid})["task"]["status"] == "queued",
             what="the sweep to requeue the task")
    old = daemon.child("memory")["pid"]
    os.kill(old, signal.SIGKILL)
    running_pid(daemon, "memory", old)
    task_after = daemon.forward("memory", "task.show", {"id": tid})["task"]
    assert (task_after["status"], task_after["attempts"], task_after["lost"]) == ("queued", 0, 1)
