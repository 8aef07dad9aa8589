"""A paused daemon stays paused across a restart: a builder that comes back while the daemon is
paused leases nothing until `resume` — whether it is a warm spare adopted in milliseconds (ready
to serve, it would lease before the supervisor's `actor.pause` reached it) or a fresh process.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from store import Store
from tests.daemon_helpers import Daemon, running_pid, spare_of, wait_for
from tests.fakellm import FakeLLM
from tests.storehelp import task

pytestmark = pytest.mark.process

RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"


def idle(p: psutil.Process, quiet_s: float = 0.5) -> bool:
    """`p` and its children (the sandbox's fork server) used no CPU for `quiet_s`."""
    def cpu() -> float:
        return sum(sum(q.cpu_times()[:2]) for q in (p, *p.children(recursive=True)))
    before = cpu()
    time.sleep(quiet_s)
    return cpu() == before


@pytest.mark.timeout(180)
@pytest.mark.parametrize("spares", ["true", "false"])
def test_a_builder_restarted_while_paused_leases_nothing_until_resume(tmp_path, spares) -> None:
    with FakeLLM(default=RIGHT) as fake:
        d = Daemon(tmp_path, "memory:memory,builder-1:builder", COGLOOP_LLM_URL=fake.url,
                   COGLOOP_LLM_MODEL="fake-model", COGLOOP_DAEMON_WARM_SPARES=spares,
                   COGLOOP_DAEMON_BACKOFF_MAX_S="0.3", COGLOOP_DAEMON_START_TIMEOUT_S="30").start()
        try:
            assert d.client.call("pause")["paused"] is True
            if spares == "true":  # the builder's spare has done its start-up: it would serve at once
                spare = wait_for(lambda: spare_of(d, "builder"), timeout=60, what="the builder's warm spare")
                wait_for(lambda: "pydantic_core" in open(f"/proc/{spare.pid}/maps").read(), timeout=60,
                         what="the spare's LLM client imported")
                wait_for(lambda: idle(spare), timeout=60, what="the spare's start-up done (its CPU still)")
            tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
            old = d.child("builder-1")["pid"]
            os.kill(old, signal.SIGKILL)
            new = running_pid(d, "builder-1", old)
            assert (d.child("builder-1")["state"], d.status()["paused"]) == ("running", True)
            time.sleep(1.5)  # what the new builder would have leased by now, had it not started paused
            assert d.forward("memory", "task.show", {"id": tid})["task"]["status"] == "queued"
            assert fake.chat_requests == []
            assert d.child("builder-1")["pid"] == new
            assert d.client.call("resume")["paused"] is False
            wait_for(lambda: Store.open(tmp_path / "history.db", readonly=True).rows(
                "SELECT id FROM attempts WHERE task_id = ? AND status != 'running'", [tid]), timeout=60,
                what="the task attempted once resumed")
        finally:
            d.stop()
