"""`cogloop status`: plain columns when stdout is a pipe or a file (like `history`), a table on a
terminal."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.process

BOX = set("┏┃━│└┡╇")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("statushome"), "memory:memory,scorer:scorer").start()
    yield d
    d.stop()


def test_piped_status_is_plain_columns(daemon):
    proc = subprocess.run(cogloop_cmd("status", "--home", str(daemon.home)), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert not BOX & set(proc.stdout) and "\x1b[" not in proc.stdout
    assert lines[0].startswith("cogloop daemon pid ") and lines[1].startswith("llm: ")
    head = lines.index(next(line for line in lines if line.startswith("ACTOR")))
    assert lines[head].split() == ["ACTOR", "STATE", "PID", "RESTARTS", "UPTIME", "HEARTBEAT", "BACKLOG", "RSS", "CPU"]
    table = [line.split() for line in lines[head + 1:]]
    assert [(row[0], row[1]) for row in table] == [("memory", "running"), ("scorer", "running")]
    assert all(row[2].isdigit() for row in table)  # awk '{print $3}' gives the pids


def test_status_on_a_terminal_is_a_table(daemon):
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    proc = subprocess.Popen(cogloop_cmd("status", "--home", str(daemon.home)), stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(30) == 0
    out = b"".join(chunks).decode()
    assert BOX <= set(out) and "memory" in out and "scorer" in out
