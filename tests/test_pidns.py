"""Tests' daemons die with the tests (issue 10: a CI timeout left a whole daemon, model server
included, orphaned under init for 11 minutes). A pytest run whose test starts a detached daemon
(`cogloop up --detach`) and hangs is killed -9, as a CI timeout would: nothing of the daemon
may be left. The same run without the pid namespace (tests/pidns.py) shows the test can fail:
there the daemon survives its killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests import pidns
from tests.conftest import ROOT, cogloop_cmd
from tests.daemon_helpers import FAST, daemon_processes, wait_for

pytestmark = pytest.mark.process

HANGING_TEST = '''
import subprocess, time

import pytest


@pytest.mark.process
def test_starts_a_daemon_then_hangs():
    up = subprocess.run({up!r}, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    print("DAEMON UP", flush=True)
    time.sleep(600)  # the CI timeout comes first
'''


def start_hanging_run(tmp_path: Path, home: Path, in_namespace: bool) -> subprocess.Popen:
    """A pytest run (with this suite's conftest.py as a plugin) whose one test starts a detached
    daemon with an `llm` child (a stand-in for llama.cpp's server) and an actor, then hangs."""
    test = tmp_path / "test_hangs.py"
    test.write_text(HANGING_TEST.format(up=cogloop_cmd("up", "--detach", "--home", str(home))))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != pidns.MARK}
    if not in_namespace:
        env[pidns.MARK] = "1"  # conftest.py then believes it is inside already and does nothing
    # In HOME/cogloop.toml, not COGLOOP_* variables: conftest.py clears those in the run.
    home.mkdir()
    daemon = "".join(f"{k[len('COGLOOP_DAEMON_'):].lower()} = {v}\n" for k, v in FAST.items())
    (home / "cogloop.toml").write_text(f'[daemon]\n{daemon}children = "llm:llm,echo-1:echo"\n'
                                       "[embedded]\ncommand = \"{python} -c 'import time; time.sleep(600)'\"\n")
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "tests.conftest", "-s", "-q", "-p", "no:cacheprovider",
                            "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(test)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = run.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "DAEMON UP" in line:
            return run
    run.kill()
    raise AssertionError("the hanging run never started its daemon:\n" + "".join(lines))


def test_this_session_runs_in_its_own_pid_namespace():
    assert pidns.inside(), "conftest.py could not make a pid namespace: test daemons can outlive a killed run"
    # pid 1 is the namespace's init, a fork of the process that started pytest; pytest came next
    # (with workers, pytest-xdist, this test runs in a worker: its parent is that pytest)
    main = psutil.Process().parent() if os.environ.get("PYTEST_XDIST_WORKER") else psutil.Process()
    assert main.ppid() == 1 and main.pid >= pidns.FIRST_PID
    assert psutil.Process(1).cmdline()[:3] == main.cmdline()[:3]


DAEMON_KINDS = ("-m supervisor", "echo-1", "time.sleep(600)")


def _cmdlines(procs) -> str:
    out = []
    for p in procs:
        try:
            out.append(" ".join(p.cmdline()))
        except psutil.Error:
            pass
    return " ".join(out)


def test_finding_a_run_killed_9_leaves_nothing_of_its_detached_daemon(tmp_path):
    home = tmp_path / "home"
    run = start_hanging_run(tmp_path, home, in_namespace=True)
    # all three kinds, not just three processes: a warm spare can come up before the model stand-in
    procs = wait_for(lambda: (p := daemon_processes(home)) and all(k in _cmdlines(p) for k in DAEMON_KINDS) and p,
                     what="the daemon's processes")
    supervisor = next(p for p in procs if "-m supervisor" in " ".join(p.cmdline()))
    assert run.pid not in [a.pid for a in supervisor.parents()][:1]  # detached: not the run's child
    run.send_signal(signal.SIGKILL)  # a CI timeout
    run.wait(10)
    wait_for(lambda: daemon_processes(home) == [], timeout=10, what="every process of the daemon gone")


def test_without_the_namespace_the_same_kill_orphans_the_daemon(tmp_path):
    """The control: the check above can fail. (The survivor is stopped here with `cogloop down`.)"""
    home = tmp_path / "home"
    run = start_hanging_run(tmp_path, home, in_namespace=False)
    wait_for(lambda: len(daemon_processes(home)) >= 3, what="the daemon's processes")
    try:
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        time.sleep(1.0)
        survivors = daemon_processes(home)
        assert any("-m supervisor" in " ".join(p.cmdline()) for p in survivors)
    finally:
        subprocess.run(cogloop_cmd("down", "--home", str(home), "--timeout", "30"), capture_output=True, timeout=60)
    assert daemon_processes(home) == []
