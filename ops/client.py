"""The control client: one request, one reply, with a timeout and retries (zguide "Lazy
Pirate": on timeout close the socket, open a fresh one, send again; give up after the last
try). A home with no daemon is told apart from a slow daemon by the pidfile lock, so
"no daemon running at HOME" is immediate and exact.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import zmq

from actors import protocol as P
from actors.supervision.pidfile import is_locked
from ops.ground.errors import CogloopError, NoDaemonError
from ops.ground.home import Home


class RemoteFailure(CogloopError):
    """The daemon (or the actor it forwarded to) answered with an error."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def daemon_running(home: Path | str) -> bool:
    return is_locked(Home(Path(home)).pidfile)


class Client:
    def __init__(self, home: Path | str, *, timeout: float = 5.0, retries: int = 3,
                 max_msg_bytes: int = P.DEFAULT_MAX_MSG_BYTES):
        self.home = Home(Path(home).expanduser().absolute())
        self.timeout = timeout
        self.retries = retries
        self.codec = P.Codec(max_msg_bytes)
        self._zctx: zmq.Context | None = None
        self._sock: zmq.Socket | None = None

    def _require_daemon(self) -> None:
        if not daemon_running(self.home.root) or not (self.home.run / "control.sock").exists():
            raise NoDaemonError(f"no daemon running at {self.home.root}")

    def _open(self) -> zmq.Socket:
        if self._zctx is None:
            self._zctx = zmq.Context()
        # REQ-like over a DEALER: a late reply to an abandoned try cannot jam the socket;
        # replies are matched to the ask by `re`.
        sock = self._zctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.MAXMSGSIZE, self.codec.max_bytes)
        sock.connect(self.home.endpoint("control"))
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None
        if self._zctx is not None:
            self._zctx.term()
            self._zctx = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def call(self, op: str, body: dict[str, Any] | None = None, *, timeout: float | None = None,
             retries: int | None = None) -> dict[str, Any]:
        """Ask the supervisor; the reply body, or RemoteFailure / NoDaemonError.

        A retry sends the request again, so ops that are not idempotent should pass retries=1.
        """
        if self._sock is None:  # an open socket last got an answer: skip the pidfile check
            self._require_daemon()
        env = P.envelope("ask", "cli", "supervisor", op, body or {})
        frame = self.codec.encode(env)
        wait = self.timeout if timeout is None else timeout
        tries = self.retries if retries is None else max(1, retries)
        for _ in range(tries):
            if self._sock is None:
                self._sock = self._open()
            self._sock.send(frame)
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0:
                # A blocking recv with a timeout: cheaper than a poll and a recv.
                self._sock.setsockopt(zmq.RCVTIMEO, max(1, int(left * 1000)))
                try:
                    answer = self._read()
                except zmq.Again:
                    break
                if answer is not None and answer.get("re") == env["id"]:
                    return self._unwrap(answer)
            # Lazy Pirate: the socket may be confused; drop it and try on a fresh one.
            self._sock.close(0)
            self._sock = None
            self._require_daemon()
        raise CogloopError(f"the daemon at {self.home.root} did not answer {op!r} "
                           f"after {tries} tries of {wait:g}s")

    def _read(self) -> dict[str, Any] | None:
        assert self._sock is not None
        frames = self._sock.recv_multipart()
        try:
            return self.codec.decode(frames[-1])
        except P.ProtocolError:
            return None

    @staticmethod
    def _unwrap(answer: dict[str, Any]) -> dict[str, Any]:
        if answer["kind"] == "error":
            body = answer["body"]
            raise RemoteFailure(str(body.get("code", P.INTERNAL)), str(body.get("message", "")))
        return answer["body"]

    def forward(self, to: str, op: str, body: dict[str, Any] | None = None, *,
                timeout: float | None = None, retries: int | None = None,
                wait_s: float = 0.0) -> dict[str, Any]:
        """Ask an actor through the supervisor; its reply body. `wait_s` > 0: an actor that is
        restarting gets the ask after its restart (within wait_s) instead of `unavailable`."""
        msg: dict[str, Any] = {"to": to, "op": op, "body": body or {}}
        if wait_s > 0:
            msg["wait_s"] = float(wait_s)
        return self.call("forward", msg, timeout=timeout, retries=retries)["reply"]
