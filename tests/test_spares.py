"""Warm spares ready to serve (issue 17): a spare does its actor's start-up before it is adopted —
Memory's store open, the Scorer's and the Builder's sandbox fork server running, the Builder's
LLM client imported — and the adopted actor uses exactly what the spare made.

Seen from outside, with psutil: the spare's open files, its child processes and the libraries
it has mapped, before and after a kill -9 of the actor it replaces.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import Future

import psutil
import pytest

from actors._spare import Prepared, prepare_ahead
from tests.daemon_helpers import Daemon, running_pid, spare_of, wait_for
from tests.fakellm import FakeLLM


def _fork_servers(p: psutil.Process) -> set[int]:
    return {c.pid for c in p.children() if "sandbox._server" in " ".join(c.cmdline())}


def _maps(p: psutil.Process) -> str:
    with open(f"/proc/{p.pid}/maps") as f:
        return f.read()


@pytest.mark.process
def test_spares_start_up_before_adoption_and_the_adopted_actor_keeps_what_they_made(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with FakeLLM(default="```python\ndef f():\n    pass\n```") as fake:
        d = Daemon(home, "memory:memory,scorer:scorer,builder-1:builder", COGLOOP_LLM_URL=fake.url,
                   COGLOOP_LLM_MODEL="fake-model", COGLOOP_DAEMON_START_TIMEOUT_S="30").start()
        try:
            d.client.call("pause")
            spares = {kind: wait_for(lambda k=kind: spare_of(d, k), timeout=60, what=f"the {kind} spare")
                      for kind in ("memory", "scorer", "builder")}
            # before adoption: each has done its actor's start-up
            db = str(home / "history.db")
            wait_for(lambda: any(f.path == db for f in spares["memory"].open_files()), timeout=60,
                     what="the memory spare's open store")
            servers = {kind: wait_for(lambda k=kind: _fork_servers(spares[k]), timeout=60,
                                      what=f"the {kind} spare's fork server") for kind in ("scorer", "builder")}
            wait_for(lambda: "pydantic_core" in _maps(spares["builder"]), timeout=60,
                     what="the builder spare's LLM client imported")
            # adoption: the spare becomes the actor, keeping its store and its fork server
            for name, kind in (("memory", "memory"), ("scorer", "scorer"), ("builder-1", "builder")):
                old = d.child(name)["pid"]
                os.kill(old, signal.SIGKILL)
                assert running_pid(d, name, old) == spares[kind].pid
            assert any(f.path == db for f in psutil.Process(spares["memory"].pid).open_files())
            assert d.forward("memory", "queue.stats", {"source": "trainer", "open": True})["stats"] == {
                "queued": 0, "leased": 0}
            for kind in ("scorer", "builder"):
                assert servers[kind] <= _fork_servers(spares[kind])  # the same server, not a new one
            assert d.forward("builder-1", "builder.status")["status"]["builder"] == "builder-1"
            wait_for(lambda: "warm-up done before adoption" in (home / "logs" / "builder-1.log").read_text(),
                     what="the adopted builder's warm-up, done by its spare")
        finally:
            d.stop()


@pytest.mark.unit
def test_prepared_waits_for_a_prepare_under_way_and_falls_back_when_it_failed(capsys):
    assert Prepared().get("store", "fresh") == "fresh" and Prepared().done  # a process started fresh
    gate = threading.Event()

    class Slow:
        @classmethod
        def prepare(cls, config, home):
            assert gate.wait(10)
            return {"store": "opened"}

    class Broken:
        @classmethod
        def prepare(cls, config, home):
            raise OSError("disk on fire")

    slow = prepare_ahead(Slow, "memory", None, None)
    assert not slow.done
    threading.Timer(0.1, gate.set).start()
    started = time.monotonic()
    assert slow.get("store") == "opened" and time.monotonic() - started >= 0.05  # waited for it
    broken = prepare_ahead(Broken, "scorer", None, None)
    assert broken.get("sandbox", "do it yourself") == "do it yourself"
    err = capsys.readouterr().err
    assert "cogloop spare (scorer): start-up ahead of adoption failed" in err and "OSError: disk on fire" in err


@pytest.mark.unit
def test_a_prepared_future_that_never_had_a_map_gives_the_default() -> None:
    f: Future = Future()
    f.set_result(None)
    assert Prepared(f).get("x", 1) == 1
