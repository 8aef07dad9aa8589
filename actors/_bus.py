"""The actor side of the bus: one pump thread that alone owns the DEALER socket, and the
`Bus` handle any thread uses to ask, tell and publish through it.

zmq sockets are not thread-safe, so other threads hand encoded frames to the pump through a
queue and wake it with a byte on a pipe the pump polls beside the socket. Heartbeats go to
the supervisor every `heartbeat_s`; the supervisor answers each one, and a pump that hears
nothing back for long enough decides the bus is gone (zguide "Paranoid Pirate" heartbeating).
Over CURVE (a remote actor on a tcp bus) a socket monitor tells a refused key from a silent
bus: the pump stops at once with `refused` set ("not authorised").
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import zmq

from actors import protocol as P
from actors.protocol import ActorError

log = logging.getLogger("cogloop.bus")

_EVENTS, _POLLIN = int(zmq.EVENTS), int(zmq.POLLIN)  # plain ints: no enum arithmetic per frame
_HANDSHAKE_FAILED = {
    int(zmq.EVENT_HANDSHAKE_FAILED_AUTH): "not authorised: the daemon at {ep} refused this actor's CURVE key "
                                          "(authorise it there: cogloop actor --issue-keys DIR --name NAME)",
    int(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL): "CURVE handshake with {ep} failed: is server.key the daemon's?",
    int(zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL): "CURVE handshake with {ep} failed: is server.key the daemon's?",
}


class RemoteError(ActorError):
    """The other side answered an ask with an error."""


class BusTimeout(RemoteError):
    """No reply within the ask's timeout."""

    def __init__(self, message: str):
        super().__init__(P.TIMEOUT, message)


@dataclass
class CurveKeys:
    """A CURVE client: our key pair and the server's public key (z85 bytes)."""

    public: bytes
    secret: bytes
    server_public: bytes


@dataclass
class _Pending:
    event: threading.Event = field(default_factory=threading.Event)
    env: dict[str, Any] | None = None


class Pump(threading.Thread):
    """Owns the DEALER socket: sends queued frames, receives and dispatches, heartbeats."""

    def __init__(self, name: str, kind: str, endpoint: str, *, heartbeat_s: float,
                 missed_heartbeats: int, max_msg_bytes: int, curve: CurveKeys | None = None):
        super().__init__(name=f"pump-{name}", daemon=True)
        self.actor_name = name
        self.kind = kind
        self.endpoint = endpoint
        self.heartbeat_s = heartbeat_s
        # The bus is declared gone after this long without a heartbeat answer.
        self.dead_after_s = max(2 * missed_heartbeats * heartbeat_s, 1.0)
        # Frames come from the router only, which checked their op, sender and body.
        self.codec = P.Codec(max_msg_bytes, check_ops=False)
        self.curve = curve
        self.dropped = 0  # malformed frames dropped
        self.refused = ""  # why a CURVE handshake failed: the actor stops and says so
        self.on_request: Callable[[dict[str, Any]], None] | None = None
        self.on_stop_request: Callable[[str], None] = lambda reason: None
        self._early: list[dict[str, Any]] = []  # requests before the actor is up
        self._lock = threading.Lock()
        self._out: collections.deque[bytes] = collections.deque()
        self._pending: dict[str, _Pending] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._halt = threading.Event()
        self.ready = threading.Event()

    # --- any thread ----------------------------------------------------------------
    def send(self, env: dict[str, Any]) -> None:
        frame = self.codec.encode(env)
        self._out.append(frame)
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:  # pipe full: the pump is already due to wake
            pass

    def expect(self, msg_id: str) -> _Pending:
        slot = _Pending()
        with self._lock:
            self._pending[msg_id] = slot
        return slot

    def forget(self, msg_id: str) -> None:
        with self._lock:
            self._pending.pop(msg_id, None)

    def set_target(self, deliver: Callable[[dict[str, Any]], None]) -> None:
        """Start delivering requests to the actor (those that came early first)."""
        with self._lock:
            self.on_request = deliver
            early, self._early = self._early, []
        for env in early:
            deliver(env)

    def stop(self) -> None:
        self._halt.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # --- the pump thread -------------------------------------------------------------
    def run(self) -> None:
        zctx = zmq.Context()
        sock = zctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.IDENTITY, self.actor_name.encode())
        sock.setsockopt(zmq.MAXMSGSIZE, self.codec.max_bytes)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDTIMEO, 1000)
        if self.curve is not None:
            sock.curve_publickey = self.curve.public
            sock.curve_secretkey = self.curve.secret
            sock.curve_serverkey = self.curve.server_public
        monitor = sock.get_monitor_socket(sum(_HANDSHAKE_FAILED)) if self.curve is not None else None
        sock.connect(self.endpoint)
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        if monitor is not None:
            poller.register(monitor, zmq.POLLIN)
        last_ack = time.monotonic()
        next_hb = 0.0
        self.ready.set()
        try:
            while not self._halt.is_set():
                now = time.monotonic()
                if now >= next_hb:
                    self._heartbeat(sock)
                    next_hb = now + self.heartbeat_s
                    if now - last_ack > self.dead_after_s:
                        log.error("no answer from the bus at %s for %.1fs: exiting", self.endpoint, now - last_ack)
                        self.on_stop_request("bus gone")
                        break
                events = dict(poller.poll(max(0.0, next_hb - time.monotonic()) * 1000))
                if self._wake_r in events:
                    os.read(self._wake_r, 65536)
                self._flush(sock)
                if sock in events:
                    if self._drain(sock):
                        last_ack = time.monotonic()
                if monitor is not None and monitor in events and self._handshake_failed(monitor):
                    break
            self._flush(sock)  # last words (a stop reply) before closing
        finally:
            if monitor is not None:
                sock.disable_monitor()
                monitor.close(0)
            sock.close(0)
            zctx.term()

    def _handshake_failed(self, monitor: zmq.Socket) -> bool:
        """A CURVE handshake failed: say why in one line and stop (no retrying a refused key)."""
        from zmq.utils.monitor import recv_monitor_message

        event = recv_monitor_message(monitor, zmq.NOBLOCK)["event"]
        if event not in _HANDSHAKE_FAILED:
            return False
        self.refused = _HANDSHAKE_FAILED[event].format(ep=self.endpoint)
        log.error("%s", self.refused)
        self.on_stop_request("CURVE handshake failed")  # the reason above, said once
        return True

    def _heartbeat(self, sock: zmq.Socket) -> None:
        # The supervisor reads the pid (a stale incarnation gets no ack) and the kind (a remote
        # actor joining over tcp must be of a known kind).
        body = {"pid": os.getpid(), "kind": self.kind}
        env = P.envelope("hb", self.actor_name, "supervisor", P.HEARTBEAT_OP, body)
        self._out.appendleft(self.codec.encode(env))
        self._flush(sock)

    def _flush(self, sock: zmq.Socket) -> None:
        while self._out:
            frame = self._out.popleft()
            try:
                sock.send(frame)
            except zmq.Again:
                log.warning("bus send timed out; frame dropped")

    def _drain(self, sock: zmq.Socket) -> bool:
        """Read everything waiting; True when the supervisor spoke (any frame counts as alive)."""
        heard = False
        for _ in range(1000):
            # ZMQ_EVENTS keeps the GIL; a recv that ends in zmq.Again releases it, and the actor
            # thread (just handed a request) takes it: the pump then waits for its whole turn.
            if not sock.get(_EVENTS) & _POLLIN:
                break
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            heard = True
            if len(frames) != 1:
                self.dropped += 1
                continue
            self._handle(frames[0])
        return heard

    def _handle(self, frame: bytes) -> None:
        env, error = P.read(self.codec, frame, self.actor_name)
        if env is None:
            if error is not None:
                self.send(error)
            else:
                self.dropped += 1
            return
        kind = env["kind"]
        if kind in ("reply", "error"):
            with self._lock:
                slot = self._pending.pop(env["re"], None)
            if slot is not None:
                slot.env = env
                slot.event.set()
        elif kind in P.REQUEST_KINDS:
            if env["op"] == "actor.stop":
                if kind == "ask":
                    self.send(P.reply_to(env, self.actor_name, {}))
                self.on_stop_request("actor.stop")
                return
            with self._lock:
                deliver = self.on_request
                if deliver is None:
                    self._early.append(env)
                    return
            deliver(env)
        # hb answers and stray events need nothing more: hearing them was the point.


class Bus:
    """What an actor uses to talk to the others (contracts: ask, tell, publish)."""

    def __init__(self, pump: Pump):
        self._pump = pump
        self.name = pump.actor_name

    def ask(self, to: str, op: str, body: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        """Send an ask and wait for its reply body; RemoteError(code, message) or BusTimeout."""
        return self.send_ask(to, op, body, timeout)()

    def send_ask(self, to: str, op: str, body: dict[str, Any] | None = None,
                 timeout: float = 30.0) -> Callable[[], dict[str, Any]]:
        """Send an ask now and wait for its reply later: the returned callable blocks for the
        reply body (or raises) like `ask`. Asks sent one after the other leave in that order,
        so a caller can have several in flight and still know the order they arrive in."""
        body = body or {}
        problem = P.validate_body(op, body)
        if problem:
            raise RemoteError(P.UNKNOWN_OP if op not in P.OPS else P.BAD_REQUEST, problem)
        env = P.envelope("ask", self.name, to, op, body)
        slot = self._pump.expect(env["id"])
        try:
            self._pump.send(env)
        except P.ProtocolError as exc:
            self._pump.forget(env["id"])
            raise RemoteError(exc.code, exc.message) from None
        deadline = time.monotonic() + timeout

        def wait() -> dict[str, Any]:
            if not slot.event.wait(max(0.0, deadline - time.monotonic())):
                self._pump.forget(env["id"])
                raise BusTimeout(f"{op} to {to}: no reply in {timeout:g}s")
            answer = slot.env or {}
            if answer.get("kind") == "error":
                err = answer.get("body", {})
                raise RemoteError(str(err.get("code", P.INTERNAL)), str(err.get("message", "")))
            return answer.get("body", {})
        return wait

    def tell(self, to: str, op: str, body: dict[str, Any] | None = None) -> None:
        body = body or {}
        problem = P.validate_body(op, body)
        if problem:
            raise RemoteError(P.UNKNOWN_OP if op not in P.OPS else P.BAD_REQUEST, problem)
        self._pump.send(P.envelope("tell", self.name, to, op, body))

    def publish(self, topic: str, body: dict[str, Any] | None = None) -> None:
        """An event the supervisor republishes on its PUB socket under `topic`."""
        self._pump.send(P.envelope("event", self.name, "supervisor", topic, body or {}))

    def reply(self, request: dict[str, Any], body: dict[str, Any] | None) -> None:
        self._pump.send(P.reply_to(request, self.name, body or {}))

    def error(self, request: dict[str, Any], code: str, message: str) -> None:
        self._pump.send(P.error_to(request, self.name, code, message))
