"""Start, stop, orphans, the pidfile, socket permissions, the CLI's exit codes, and the
CURVE-only tcp bus with a remote actor joining over loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import psutil
import pytest
import zmq

from actors import protocol as P
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import FAST, Daemon, running_pid, wait_for

pytestmark = pytest.mark.process


def cli(home, *args, env=None, timeout=60):
    return subprocess.run(cogloop_cmd(*args, "--home", str(home)), capture_output=True, text=True,
                          timeout=timeout, env=env)


def gone(pids):
    return all(not psutil.pid_exists(p) or psutil.Process(p).status() == psutil.STATUS_ZOMBIE for p in pids)


def test_sigterm_stops_all_in_reverse_order_and_leaves_nothing(home):
    # a grace long enough that a loaded machine never runs out of time for one-at-a-time
    d = Daemon(home, "echo-1:echo,echo-2:echo,echo-3:echo", COGLOOP_DAEMON_STOP_GRACE_S="5").start()
    wait_for(lambda: len(d.descendants()) >= 4, what="the warm spare")
    pids = [p.pid for p in d.descendants()]
    assert (home / "run").stat().st_mode & 0o777 == 0o700
    for name in ("control", "bus", "events"):
        assert stat.S_IMODE((home / "run" / f"{name}.sock").stat().st_mode) == 0o600
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(15) == 0
    assert gone(pids)
    text = d.err.read_text()
    stopped = re.findall(r"'name': '(echo-\d)', 'state': 'stopped'", text)
    assert stopped == ["echo-3", "echo-2", "echo-1"]
    assert "returncode': 0" in text  # graceful: actor.stop, not a kill
    assert not (home / "run" / "supervisor.pid").exists()
    assert not (home / "run" / "control.sock").exists()


def test_ctrl_c_to_the_foreground_group_still_stops_in_reverse_order(home):
    """A terminal's Ctrl-C sends SIGINT to the whole foreground process group. The actors live
    in their own groups, so only the supervisor hears it and stops them one by one, gracefully."""
    d = Daemon(home, "echo-1:echo,echo-2:echo,echo-3:echo", COGLOOP_DAEMON_STOP_GRACE_S="5")
    with open(d.err, "ab") as err:  # the supervisor leads a group of its own, like a shell job
        d.proc = subprocess.Popen([sys.executable, "-m", "supervisor", "--home", str(home)], env=d.env,
                                  stdout=err, stderr=subprocess.STDOUT, process_group=0)
    wait_for(lambda: (home / "run" / "control.sock").exists(), timeout=30, what="the control socket")
    wait_for(lambda: len(d.children()) == 3 and all(c["state"] == "running" for c in d.children()),
             timeout=30, what="three running actors")
    pids = [p.pid for p in d.descendants()]
    os.killpg(d.proc.pid, signal.SIGINT)
    assert d.proc.wait(15) == 0
    assert gone(pids)
    text = d.err.read_text()
    assert re.findall(r"'name': '(echo-\d)', 'state': 'stopped'", text) == ["echo-3", "echo-2", "echo-1"]
    assert "returncode': -" not in text  # none was killed by a signal


def test_sigkill_to_the_supervisor_leaves_no_orphan(home):
    d = Daemon(home, "echo-1:echo,echo-2:echo").start()
    # every process under the supervisor: the actors and the warm spare
    wait_for(lambda: len(d.descendants()) >= 3, what="the warm spare")
    pids = [p.pid for p in d.descendants()]
    assert {c["pid"] for c in d.children()} < set(pids)
    d.proc.kill()
    d.proc.wait()
    wait_for(lambda: gone(pids), timeout=5, what="children to die with the supervisor")


def test_cli_up_detach_second_up_refuses_status_down(home):
    env = dict(os.environ, **FAST, COGLOOP_DAEMON_CHILDREN="echo-1:echo,echo-2:echo")
    up = cli(home, "up", "--detach", env=env)
    assert up.returncode == 0, up.stderr
    try:
        again = cli(home, "up", "--detach", env=env)
        assert again.returncode == 1 and "already running" in again.stderr
        raw = cli(home, "status", "--json")
        assert raw.returncode == 0, raw.stderr
        status = json.loads(raw.stdout)
        assert set(status) == {"home", "pid", "uptime_s", "paused", "isolation", "llm", "children"}
        assert set(status["llm"]) == {"url", "model", "state", "endpoints"}  # the contract of architecture.md
        for e in status["llm"]["endpoints"]:
            assert set(e) == {"url", "model", "state", "in_flight", "calls", "errors", "max_concurrency", "last_error"}
        assert {"network", "filesystem", "pid", "uid"} <= set(status["isolation"])
        for child in status["children"]:
            assert set(child) == {"name", "pid", "state", "restarts", "uptime_s", "last_heartbeat_s",
                                  "backlog", "rss_mb", "cpu_percent"}
        pids = [status["pid"]] + [c["pid"] for c in status["children"] if c["pid"]]
        assert cli(home, "pause", "--json").returncode == 0
        assert json.loads(cli(home, "status", "--json").stdout)["paused"] is True
        assert cli(home, "resume").returncode == 0
        bad = cli(home, "restart", "nobody")
        assert bad.returncode == 1 and "no child named" in bad.stderr and "Traceback" not in bad.stderr
        logs = cli(home, "logs", "echo-1", "-n", "5")
        assert logs.returncode == 0 and "echo-1 (echo) up" in logs.stdout
        down = cli(home, "down")
        assert down.returncode == 0, down.stderr
        assert gone(pids)  # down returns only once every process is gone
    finally:
        cli(home, "down")
    for cmd in (["status"], ["down"], ["pause"], ["watch", "--count", "1"]):
        out = cli(home, *cmd)
        assert out.returncode == 3 and "no daemon running" in out.stderr, cmd


def test_watch_prints_restart_events(home):
    import queue
    import threading
    d = Daemon(home, "echo-1:echo").start()
    watcher = subprocess.Popen(cogloop_cmd("watch", "--json", "--timeout", "30", "--home", str(home)),
                               stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in watcher.stdout], daemon=True).start()
    try:
        # A SUB socket misses what is published before it connects: poke until it hears.
        wait_for(lambda: d.client.call("resume") and not lines.empty(), timeout=20, what="the watcher")
        old = d.child("echo-1")["pid"]
        os.kill(old, signal.SIGKILL)
        running_pid(d, "echo-1", old)
        events = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                e["op"] == "child.state" and e["body"]["state"] == "running" for e in events):
            try:
                events.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                pass
        assert any(e["op"] == "child.restart" and e["body"]["name"] == "echo-1" for e in events), events
        assert any(e["op"] == "child.state" and e["body"]["state"] == "running" for e in events)
    finally:
        watcher.kill()
        d.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tcp_bus_without_authorised_keys_refuses_to_start(home):
    env = dict(os.environ, **FAST, COGLOOP_DAEMON_CHILDREN="echo-1:echo",
               COGLOOP_DAEMON_TCP_BUS=f"tcp://127.0.0.1:{_free_port()}")
    out = subprocess.run([sys.executable, "-m", "supervisor", "--home", str(home)], env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "CURVE" in out.stderr and "Traceback" not in out.stderr


def test_remote_actor_joins_over_curve_tcp_and_plain_tcp_gets_nothing(home, tmp_path):
    keys = tmp_path / "remote-keys"
    issued = cli(home, "actor", "--issue-keys", str(keys), "--name", "builder-remote-1")
    assert issued.returncode == 0, issued.stderr
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    d = Daemon(home, "echo-1:echo", COGLOOP_DAEMON_TCP_BUS=endpoint).start()
    remote = subprocess.Popen(cogloop_cmd("actor", "echo", "--connect", endpoint, "--name", "builder-remote-1",
                                          "--keys", str(keys), "--home", str(tmp_path / "elsewhere")),
                              env=dict(os.environ, **FAST), stderr=subprocess.PIPE)
    try:
        wait_for(lambda: any(c["name"] == "builder-remote-1" and c["state"] == "running" for c in d.children()),
                 what="the remote actor in status")
        assert d.forward("builder-remote-1", "echo", {"hi": 1})["pid"] == remote.pid
        # actor-to-actor across the tcp and ipc transports
        out = d.forward("echo-1", "echo.relay", {"to": "builder-remote-1", "count": 2})
        assert out["errors"] == [] and {r["pid"] for r in out["replies"]} == {remote.pid}
        # a client without CURVE: the handshake fails, nothing it sends arrives
        zctx = zmq.Context()
        plain = zctx.socket(zmq.DEALER)
        plain.setsockopt(zmq.LINGER, 0)
        plain.setsockopt(zmq.IDENTITY, b"intruder")
        plain.connect(endpoint)
        plain.send(P.Codec().encode(P.envelope("hb", "intruder", "supervisor", "hb", {"pid": 1})))
        plain.send(P.Codec().encode(P.envelope("ask", "intruder", "echo-1", "echo", {})))
        assert not plain.poll(1000)
        plain.close(0)
        zctx.term()
        assert "intruder" not in [c["name"] for c in d.children()]
        # a remote actor without keys is refused before it connects
        nokeys = subprocess.run(cogloop_cmd("actor", "echo", "--connect", endpoint, "--home", str(home)),
                                capture_output=True, text=True, timeout=30)
        assert nokeys.returncode == 2 and "CURVE" in nokeys.stderr
    finally:
        d.stop()
        assert remote.wait(10) in (0, 1)  # actor.stop from the supervisor, or the bus went away


def test_sighup_reloads_children_and_a_bad_file_changes_nothing(home):
    conf = home / "cogloop.toml"
    conf.write_text('[daemon]\nchildren = "echo-1:echo"\n')
    d = Daemon(home, None).start()
    try:
        pid1 = d.child("echo-1")["pid"]
        conf.write_text('[daemon]\nchildren = "echo-1:echo,echo-2:echo"\n')
        d.proc.send_signal(signal.SIGHUP)
        running_pid(d, "echo-2")
        conf.write_text('[daemon]\nchildren = "echo-1:echo,echo-2:echo,echo-3:ech')  # broken TOML
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in d.err.read_text(), what="the refusal in the log")
        assert [c["name"] for c in d.children()] == ["echo-1", "echo-2"]
        conf.write_text('[daemon]\nchildren = "echo-2:echo"\n')
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: [c["name"] for c in d.children()] == ["echo-2"], what="echo-1 removed")
        wait_for(lambda: gone([pid1]), what="echo-1's process gone")
        assert d.forward("echo-2", "echo", {})["name"] == "echo-2"
    finally:
        d.stop()
