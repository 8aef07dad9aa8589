"""Fuzz: >= 10,000 malformed frames each to the control socket and the bus. Every ask that
can be answered gets an error with a known code, the rest are dropped; the supervisor and
the actors live on (same pids), still answer, and the supervisor's memory stays bounded."""

from __future__ import annotations

import random
import time

import msgpack
import psutil
import zmq

import pytest

from actors import protocol as P
from tests.daemon_helpers import Daemon

pytestmark = pytest.mark.process

MAX = 65536  # a small message limit makes oversize frames cheap to send
N = 10_000


def malformed(rng: random.Random, sender: str, to: str) -> tuple[bytes, bool]:
    """One bad frame, and whether it is an ask the receiver can answer."""
    base = P.envelope("ask", sender, to, "status" if to == "supervisor" else "echo", {})
    choice = rng.randrange(12)
    if choice == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))), False
    if choice == 1:
        return msgpack.packb(rng.choice([1, "str", [1, 2], None, 3.5, b"bin", True])), False
    if choice == 2:
        return msgpack.packb(dict(base, op=f"no.such.op.{rng.randint(0, 99)}")), True
    if choice == 3:
        return msgpack.packb(dict(base, v=rng.choice([0, 2, 99, "1", None]))), False
    if choice == 4:
        return b"\x91" * rng.randint(1100, 5000), False  # nesting deeper than msgpack allows
    if choice == 5:
        return msgpack.packb(dict(base, body={str(i): i for i in range(rng.randint(1000, 5000))},
                                  op="echo.relay" if to != "supervisor" else "restart")), True
    if choice == 6:
        return b"\xdf\xff\xff\xff\xff", False  # a map header claiming 4 billion entries
    if choice == 7:
        return msgpack.packb(dict(base, kind=rng.choice(["shout", 7, None]))), False
    if choice == 8:
        return msgpack.packb(dict(base, body=rng.choice([[], "x", 5]))), False
    if choice == 9:
        return msgpack.packb({**base, **{"id": 12}}), False
    if choice == 10:
        return msgpack.packb(dict(base, body={"to": 5, "op": [], "body": "x"}, op="forward")), True
    return msgpack.packb({1: 2, "v": 1}), False


def blast(sock: zmq.Socket, frames: list[bytes]) -> int:
    """Send all frames, collect replies as they come; the number of error replies."""
    errors = 0
    for i, frame in enumerate(frames):
        sock.send(frame)
        if i % 200 == 0:
            errors += drain(sock, 0)
    return errors + drain(sock, 1500)


def drain(sock: zmq.Socket, wait_ms: int) -> int:
    count = 0
    while sock.poll(wait_ms):
        env = P.Codec(MAX).decode(sock.recv_multipart()[-1])
        assert env["kind"] == "error" and env["body"]["code"] in P.ERROR_CODES, env
        count += 1
        wait_ms = min(wait_ms, 300)
    return count


def test_fuzz_control_and_bus(home):
    d = Daemon(home, "echo-1:echo,echo-2:echo", COGLOOP_DAEMON_MAX_MSG_BYTES=str(MAX)).start()
    try:
        before = {c["name"]: c["pid"] for c in d.children()}
        sup = psutil.Process(d.proc.pid)
        rss_before = sup.memory_info().rss
        rng = random.Random(1234)
        zctx = zmq.Context()
        results = {}
        for endpoint, sender, to in (("control", "cli", "supervisor"), ("bus", "fuzzer", "echo-1")):
            sock = zctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.IDENTITY, sender.encode())
            sock.connect(f"ipc://{home / 'run' / (endpoint + '.sock')}")
            frames, answerable = [], 0
            for _ in range(N):
                frame, ask = malformed(rng, sender, to)
                frames.append(frame)
                answerable += ask
            frames += [b"x" * (MAX + 10)] * 5  # oversize: zmq drops the connection; we reconnect
            started = time.monotonic()
            errors = blast(sock, frames)
            results[endpoint] = (errors, answerable, time.monotonic() - started)
            sock.close(0)
        zctx.term()
        for endpoint, (errors, answerable, _) in results.items():
            # every answerable ask got its error (the oversize frames may cut a few replies off)
            assert errors >= answerable * 0.95, (endpoint, errors, answerable)
        assert d.proc.poll() is None
        after = {c["name"]: c["pid"] for c in d.children()}
        assert after == before  # nobody crashed or restarted
        assert all(c["state"] == "running" for c in d.children())
        assert d.forward("echo-1", "echo", {"ok": True})["echo"] == {"ok": True}
        assert d.forward("echo-1", "echo.relay", {"to": "echo-2", "count": 2})["errors"] == []
        assert sup.memory_info().rss - rss_before < 40 * 2**20
        assert "fuzzer" not in after
    finally:
        d.stop()
