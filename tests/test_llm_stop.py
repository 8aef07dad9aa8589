"""The embedded model server stops when told to, even mid-completion (issue: it was SIGKILLed at
every `down`, because llama_cpp.server waits for a running completion to end). Real model."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import psutil
import pytest

from actors.llm import embedded_command, wait_ready
from ops.ground.config import Config
from tests.daemon_helpers import Daemon, wait_for

pytestmark = pytest.mark.e2e

# Banning the end-of-text tokens keeps SmolLM2 talking: 600 tokens take 10 s and more on 2 cores.
LONG = {"prompt": "Count: 1, 2, 3, 4,", "max_tokens": 600, "temperature": 0,
        "logit_bias": {"0": -100, "1": -100, "2": -100}}


class Completion(threading.Thread):
    """One long completion in the background; `result` says how it ended."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.result: dict[str, Any] = {}

    def run(self) -> None:
        req = urllib.request.Request(self.url + "/completions", json.dumps(LONG).encode(),
                                     {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                self.result = {"tokens": json.load(resp)["usage"]["completion_tokens"]}
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            self.result = {"error": type(exc).__name__}


def cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def start_completion(url: str, pid: int) -> Completion:
    """Send the long completion and return once the server is computing it: its CPU time grows
    (llama.cpp logs nothing until the end, and an idle uvicorn uses next to no CPU)."""
    base = cpu_s(pid)
    job = Completion(url)
    job.start()
    wait_for(lambda: cpu_s(pid) - base > 1.0 or job.result, timeout=120, what="the server to compute")
    assert not job.result, job.result  # still running
    return job


@pytest.mark.timeout(240)
def test_server_exits_0_soon_after_sigterm_mid_completion(tmp_path):
    server = embedded_command(Config())
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(server.argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(server.url, 120, alive=lambda: proc.poll() is None)
        job = start_completion(server.url, proc.pid)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(120)
        took = time.monotonic() - t0
        job.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"SIGTERM mid-completion: exit {rc} after {took:.2f} s; the client got {job.result}")
    # Before: the completion ran to its 600 tokens, then the process died of the signal (-15).
    assert rc == 0, log.read_text()[-2000:]
    assert "error" in job.result, job.result  # dropped, not finished
    assert "requests still running after 0.5s are dropped" in log.read_text()


@pytest.mark.timeout(240)
def test_idle_server_exits_0_on_sigterm(tmp_path):
    server = embedded_command(Config())
    proc = subprocess.Popen(server.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(server.url, 120, alive=lambda: proc.poll() is None)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0  # before: -15 (uvicorn re-raised the signal after its shutdown)


@pytest.mark.timeout(300)
def test_down_stops_the_llm_child_without_sigkill(home):
    """`down` while the model answers: the llm child ends on its own (exit 0), not by SIGKILL."""
    daemon = Daemon(home, "llm:llm", COGLOOP_DAEMON_STOP_GRACE_S="3.0").start(wait_running=False)
    try:
        wait_for(lambda: daemon.child("llm")["state"] == "running", timeout=180, what="the llm child")
        llm = daemon.child("llm")
        start_completion(daemon.status()["llm"]["url"], llm["pid"])
    finally:
        daemon.stop()
    text = daemon.err.read_text()
    ends = re.findall(r"'name': 'llm', 'state': 'stopped'.*'returncode': (-?\d+)", text)
    assert ends == ["0"], text[-3000:]  # before: -9 (SIGKILL when the grace ran out)
