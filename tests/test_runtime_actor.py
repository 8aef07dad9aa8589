"""One real actor process against a ROUTER the test owns: heartbeats, asks, bad frames,
clean stop, and exit when the bus goes away."""

from __future__ import annotations

import subprocess
import sys
import time

import msgpack
import pytest
import zmq

from actors import protocol as P
from tests.daemon_helpers import FAST, wait_for

pytestmark = pytest.mark.process

CODEC = P.Codec()


@pytest.fixture
def bus(tmp_path):
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    (tmp_path / "run").mkdir()
    sock.bind(f"ipc://{tmp_path / 'run' / 'bus.sock'}")
    yield sock
    sock.close(0)
    ctx.term()


def spawn(home, name="echo-1", kind="echo", **extra):
    import os
    env = {**os.environ, **FAST, **extra}
    return subprocess.Popen([sys.executable, "-m", "actors.runtime", "--name", name, "--kind", kind,
                             "--home", str(home)], env=env, stderr=subprocess.PIPE)


def recv(sock, timeout=5.0, kinds=("reply", "error")):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sock.poll(100):
            ident, frame = sock.recv_multipart()
            env = CODEC.decode(frame)
            if env["kind"] == "hb":
                sock.send_multipart([ident, CODEC.encode(P.envelope("hb", "supervisor", env["from"], "hb"))])
            if env["kind"] in kinds:
                return ident, env
    raise AssertionError("nothing received")


def test_actor_heartbeats_answers_and_stops(tmp_path, bus):
    proc = spawn(tmp_path)
    try:
        ident, hb = recv(bus, kinds=("hb",))
        assert ident == b"echo-1" and hb["body"]["pid"] == proc.pid and hb["body"]["kind"] == "echo"
        ask = P.envelope("ask", "cli", "echo-1", "echo", {"x": [1, 2]})
        bus.send_multipart([b"echo-1", CODEC.encode(ask)])
        _, reply = recv(bus)
        assert reply["re"] == ask["id"] and reply["body"]["echo"] == {"x": [1, 2]}
        # unknown op, bad body, garbage: errors for asks, silence otherwise; the actor lives on
        bad = dict(P.envelope("ask", "cli", "echo-1", "echo"), op="no.such.op")
        bus.send_multipart([b"echo-1", msgpack.packb(bad)])
        _, err = recv(bus)
        assert err["kind"] == "error" and err["body"]["code"] == P.UNKNOWN_OP and err["re"] == bad["id"]
        bus.send_multipart([b"echo-1", b"\x00garbage"])
        bus.send_multipart([b"echo-1", b"a", b"b"])
        boom = P.envelope("ask", "cli", "echo-1", "echo.boom")
        bus.send_multipart([b"echo-1", CODEC.encode(boom)])
        _, err = recv(bus)
        assert err["body"]["code"] == P.INTERNAL and "boom" in err["body"]["message"]
        # not handled by this kind: a registered op it has no handler for
        lease = P.envelope("ask", "cli", "echo-1", "task.lease", {"builder": "x", "ttl_s": 1.0})
        bus.send_multipart([b"echo-1", CODEC.encode(lease)])
        _, err = recv(bus)
        assert err["body"]["code"] == P.UNKNOWN_OP
        stop = P.envelope("ask", "supervisor", "echo-1", "actor.stop")
        bus.send_multipart([b"echo-1", CODEC.encode(stop)])
        _, ok = recv(bus)
        assert ok["kind"] == "reply" and ok["re"] == stop["id"]
        assert proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_pause_stops_work_and_resume_restarts_it(tmp_path, bus):
    proc = spawn(tmp_path)
    try:
        recv(bus, kinds=("hb",))

        def stats():
            ask = P.envelope("ask", "cli", "echo-1", "echo.stats")
            bus.send_multipart([b"echo-1", CODEC.encode(ask)])
            return recv(bus)[1]["body"]
        bus.send_multipart([b"echo-1", CODEC.encode(P.envelope("tell", "supervisor", "echo-1", "actor.pause"))])
        first = stats()
        assert first["paused"] is True
        time.sleep(0.4)
        assert stats()["work_calls"] == first["work_calls"]
        bus.send_multipart([b"echo-1", CODEC.encode(P.envelope("tell", "supervisor", "echo-1", "actor.resume"))])
        wait_for(lambda: stats()["work_calls"] > first["work_calls"], what="work() again after resume")
        assert stats()["paused"] is False
    finally:
        proc.kill()
        proc.wait()


def test_actor_exits_when_the_bus_stops_answering(tmp_path, bus):
    proc = spawn(tmp_path, COGLOOP_DAEMON_MISSED_HEARTBEATS="3")  # gone after 1.2 s of silence
    try:
        recv(bus, kinds=("hb",))  # answered once, then never again
        started = time.monotonic()
        assert proc.wait(10) == 1
        assert time.monotonic() - started < 5
        assert b"no answer from the bus" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


def test_tcp_without_curve_keys_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "actors.runtime", "--name", "b", "--kind", "echo",
                           "--home", str(tmp_path), "--connect", "tcp://127.0.0.1:5999"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert "CURVE" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_actor_module_fails_only_that_actor(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "actors.runtime", "--name", "x", "--kind", "nope",
                           "--home", str(tmp_path)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "unknown actor kind" in proc.stderr


@pytest.mark.parametrize("honour", [False, True])
def test_stop_while_the_actor_thread_is_busy(tmp_path, bus, honour):
    proc = spawn(tmp_path)  # stop_grace_s = 1.0
    try:
        recv(bus, kinds=("hb",))
        sleep = P.envelope("tell", "cli", "echo-1", "echo.sleep", {"seconds": 60.0, "honour_stop": honour})
        bus.send_multipart([b"echo-1", CODEC.encode(sleep)])
        time.sleep(0.3)
        started = time.monotonic()
        bus.send_multipart([b"echo-1", CODEC.encode(P.envelope("tell", "supervisor", "echo-1", "actor.stop"))])
        assert proc.wait(10) == 0
        took = time.monotonic() - started
        # a handler that watches ctx.stopping ends at once; one that does not is left behind after the grace
        assert took < (1.0 if honour else 4.0), took
        err = proc.stderr.read()
        assert (b"did not stop" in err) != honour
    finally:
        proc.kill()
        proc.wait()
