"""`cogloop wait`: blocks until the queued and leased tasks of a source are done."""

from __future__ import annotations

import json
import subprocess

import pytest

from ops.commands.wait_cmd import wait_until_done
from store import Store
from tests.conftest import cogloop_cmd
from tests.operatorhelp import Clock, attempt_and_score, simple_task


def wait_proc(home, *args):
    return subprocess.Popen(cogloop_cmd("wait", "--home", str(home), "--interval", "0.05", *args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.process
def test_returns_when_another_process_finishes_the_tasks(home):
    clock = Clock()
    with Store.open(home / "history.db", clock=clock) as s:
        for n in range(3):
            s.add_task(simple_task(n, "strings", 2))
        proc = wait_proc(home, "--source", "user", "--timeout", "120", "--json")
        for _ in range(3):
            attempt_and_score(s, clock, passed=True, total=1.0)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["done"] is True and result["pending"] == 0 and result["by_status"] == {"passed": 3}


@pytest.mark.process
def test_timeout_exits_1_with_one_line(home):
    with Store.open(home / "history.db") as s:
        s.add_task(simple_task(0, "strings", 2))
        s.lease("builder-1", ttl_s=900)  # leased and never finished
    proc = wait_proc(home, "--timeout", "0.3")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.strip().splitlines() == [err.strip()] and "timed out after 0.3s: 1 tasks still queued or leased" in err


@pytest.mark.process
def test_other_sources_do_not_block(home):
    with Store.open(home / "history.db") as s:
        s.add_task({**simple_task(0, "strings", 2), "source": "trainer", "reference": "def f(x):\n    return x\n"})
    proc = wait_proc(home, "--source", "humaneval", "--timeout", "30")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "done: humaneval tasks: no tasks" in out
    proc = wait_proc(home, "--timeout", "0")  # every source: the trainer task is still queued
    assert proc.wait(timeout=60) == 1


@pytest.mark.process
def test_bad_input(home):
    for args, status, needle in [(["--timeout", "-1"], 2, "--timeout must be 0 or more"),
                                 (["--interval", "0"], 2, "--interval must be more than 0"),
                                 (["--timeout", "soon"], 2, "invalid float value"),
                                 (["--source", "humanevel"], 2, "invalid choice: 'humanevel'"),
                                 ([], 1, "no history database")]:
        proc = subprocess.run(cogloop_cmd("wait", "--home", str(home), *args), capture_output=True, text=True)
        assert proc.returncode == status and needle in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.unit
def test_wait_until_done_pure():
    now = [0.0]
    polls = iter([{"queued": 2}, {"queued": 1, "passed": 1}, {"passed": 2}])
    seen = []
    done, last = wait_until_done(lambda: next(polls), timeout=None, interval=5, on_poll=seen.append,
                                 clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert done and last == {"passed": 2} and len(seen) == 3 and now[0] == 10
    now[0] = 0.0
    done, last = wait_until_done(lambda: {"leased": 1}, timeout=7, interval=5,
                                 clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert not done and now[0] == 7  # the last sleep is cut to the deadline
