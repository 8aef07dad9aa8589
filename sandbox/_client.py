"""The caller's side: start (and restart) the fork server, send it runs, safe from any thread."""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from sandbox._server import recv_msg, send_msg

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
MODE_ENV = "COGLOOP_SANDBOX_ISOLATION"  # "none" forces the degraded path (tests, odd hosts)
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from sandbox._server import main; main(sys.argv[2:])"
# The fork server's whole environment: nothing of the caller's (keys, COGLOOP_*) reaches it.
_SERVER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code it ran)."""


def default_hide() -> list[str]:
    """Paths a run must not see even if they sit inside a tree the jail shows."""
    paths = [os.path.expanduser("~/.cogloop")]
    if os.environ.get("COGLOOP_HOME"):
        paths.append(os.environ["COGLOOP_HOME"])
    return [os.path.abspath(p) for p in paths]


class ForkServer:
    """A handle on one fork server process. `mode` "full" (the best the host allows) or "none"."""

    def __init__(self, mode: str | None = None, hide: list[str] | None = None) -> None:
        self.want_mode = mode or os.environ.get(MODE_ENV) or "full"
        if self.want_mode not in ("full", "none"):
            raise ValueError(f"{MODE_ENV} must be 'full' or 'none', got {self.want_mode!r}")
        self.hide = list(hide if hide is not None else default_hide())
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._rundir: str | None = None
        self.info: dict[str, Any] = {}
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ensure(self) -> None:
        """Start the server unless it runs; a dead one is replaced."""
        with self._lock:
            if self._alive():
                return
            self._stop_locked()
            self._rundir = tempfile.mkdtemp(prefix="cogloop-sandbox-")
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, PACKAGE_ROOT, self._rundir, self.want_mode,
                 str(os.getpid()), json.dumps(self.hide)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_SERVER_ENV, close_fds=True,
                cwd="/",
            )
            assert self._proc.stdout is not None
            line = self._proc.stdout.readline()
            if not line:
                self._stop_locked()
                raise SandboxError("the sandbox fork server did not start")
            self.info = json.loads(line)

    def request(self, req: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one run and wait for its reply; restarts the server once if it had died."""
        for attempt in (1, 2):
            self.ensure()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(os.path.join(self._rundir or "", "sock"))
            except OSError:
                sock.close()
                if attempt == 2:
                    raise SandboxError("cannot reach the sandbox fork server") from None
                with self._lock:
                    self._stop_locked()
                continue
            try:
                sock.settimeout(timeout + 60.0)  # runs queue behind each other on one server
                send_msg(sock, req)
                reply = recv_msg(sock)
            except (OSError, ValueError) as exc:
                raise SandboxError(f"sandbox run lost: {exc}") from None
            finally:
                sock.close()
            if reply is None:
                raise SandboxError("sandbox run lost: the supervisor died without a reply")
            if "error" in reply:
                raise SandboxError(f"sandbox failed: {reply['error']}")
            return reply
        raise SandboxError("unreachable")

    def _stop_locked(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()  # EOF: the server cleans up (cgroup slot, run dir) and exits
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc = None
        if self._rundir:
            shutil.rmtree(self._rundir, ignore_errors=True)
            self._rundir = None

    def close(self) -> None:
        with self._lock:
            self._stop_locked()


class Pool:
    """Several fork servers, one run each at a time: parallel runs from any number of threads.

    Servers start lazily, so a caller that never runs in parallel pays for one.
    """

    def __init__(self, size: int | None = None, mode: str | None = None, hide: list[str] | None = None) -> None:
        self.size = size or max(2, 2 * (os.cpu_count() or 1))
        self._mode, self._hide = mode, hide
        self._idle: queue.LifoQueue[ForkServer] = queue.LifoQueue()
        self._all: list[ForkServer] = []
        self._lock = threading.Lock()

    @property
    def info(self) -> dict[str, Any]:
        return self._checkout_one_info()

    def _checkout_one_info(self) -> dict[str, Any]:
        server = self._get()
        try:
            server.ensure()
            return server.info
        finally:
            self._idle.put(server)

    def ensure(self) -> None:
        self._checkout_one_info()

    def start_all(self) -> None:
        """Start every server now (lazy start would charge the first parallel runs for it)."""
        with self._lock:
            while len(self._all) < self.size:
                server = ForkServer(self._mode, self._hide)
                self._all.append(server)
                self._idle.put(server)
        for server in list(self._all):
            server.ensure()

    def _get(self) -> ForkServer:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self.size:
                server = ForkServer(self._mode, self._hide)
                self._all.append(server)
                return server
        return self._idle.get()

    def request(self, req: dict[str, Any], timeout: float) -> dict[str, Any]:
        server = self._get()
        try:
            return server.request(req, timeout)
        finally:
            self._idle.put(server)

    def pids(self) -> list[int]:
        return [s.pid for s in self._all if s.pid]

    def close(self) -> None:
        for server in self._all:
            server.close()


_default: Pool | None = None
_default_lock = threading.Lock()


def default_server() -> Pool:
    """The process-wide pool every run_* call uses unless given a server."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Pool()
        return _default
