"""Start a real supervisor with small timings, talk to it, and find its processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import psutil

from ops.client import Client, daemon_running

FAST = {
    "COGLOOP_DAEMON_HEARTBEAT_S": "0.2",
    # 2 s of silence before a hang: small enough for quick tests, large enough that a loaded
    # machine does not fake one (tests never fail on timing).
    "COGLOOP_DAEMON_MISSED_HEARTBEATS": "10",
    "COGLOOP_DAEMON_STOP_GRACE_S": "1.0",
    "COGLOOP_DAEMON_BACKOFF_S": "0.3",
    "COGLOOP_DAEMON_RESTART_INTENSITY": "3",
    "COGLOOP_DAEMON_RESTART_PERIOD_S": "30",
    "COGLOOP_DAEMON_START_TIMEOUT_S": "10",
}


def wait_for(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Daemon:
    """A supervisor in the foreground as a child of the test, stderr kept in a file."""

    def __init__(self, home: Path, children: str | None, **env: str):
        """`children` as daemon.children ("name:kind,..."); None leaves it to the config file."""
        self.home = home
        # The test actors (echo, crash) are a plugin: tests/testkinds.py (bench scripts use this too).
        self.env = {**os.environ, "COGLOOP_DAEMON_PLUGINS": "tests.testkinds", **FAST, **env}
        if children is not None:
            self.env["COGLOOP_DAEMON_CHILDREN"] = children
        self.err = home / "supervisor.stderr"
        self.proc: subprocess.Popen | None = None
        self.client = Client(home, timeout=3.0, retries=2)

    def start(self, wait_running: bool = True) -> "Daemon":
        with open(self.err, "ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "supervisor", "--home", str(self.home)],
                                         env=self.env, stdout=err, stderr=subprocess.STDOUT)
        try:
            # The pidfile's lock too: a supervisor killed -9 before this one left its socket file behind.
            wait_for(lambda: (daemon_running(self.home) and (self.home / "run" / "control.sock").exists())
                     or self.proc.poll() is not None, what="the control socket")
            assert self.proc.poll() is None, self.err.read_text()
            if wait_running:
                wait_for(lambda: all(c["state"] == "running" for c in self.children()), what="all children running")
        except BaseException:
            self.stop()  # a daemon that did not come up is not left behind
            raise
        return self

    def status(self) -> dict[str, Any]:
        return self.client.call("status")["status"]

    def children(self) -> list[dict[str, Any]]:
        return self.status()["children"]

    def child(self, name: str) -> dict[str, Any]:
        return next(c for c in self.children() if c["name"] == name)

    def forward(self, to: str, op: str, body: dict | None = None, **kw: Any) -> dict[str, Any]:
        return self.client.forward(to, op, body or {}, **kw)

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            kids = self.descendants()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for p in kids:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass


def spare_of(daemon: Daemon, kind: str) -> psutil.Process | None:
    """The daemon's warm spare of actor kind `kind`, if there is one now."""
    for p in daemon.descendants():
        try:
            cmd = p.cmdline()
            if "--spare" in cmd and cmd[cmd.index("--kind") + 1] == kind:
                return p
        except (psutil.Error, ValueError, IndexError):
            continue
    return None


def running_pid(daemon: Daemon, name: str, old: int | None = None) -> int:
    """Wait until `name` runs (with a pid other than `old`) and return its pid."""
    def check():
        c = next((c for c in daemon.children() if c["name"] == name), None)
        return c["pid"] if c and c["state"] == "running" and c["pid"] != old else None
    return wait_for(check, what=f"{name} running")


@contextlib.contextmanager
def memory_daemon_if(running: bool, home: Path) -> Iterator[Path]:
    """A daemon with only Memory on `home` while the block runs, if `running`: CLI writes then go
    through the control socket instead of the store."""
    if not running:
        yield home
        return
    daemon = Daemon(home, "memory:memory").start()
    try:
        yield home
    finally:
        daemon.stop()


def hangup(daemon: Daemon, config: str) -> None:
    """Write HOME/cogloop.toml and send the supervisor SIGHUP (a reload)."""
    (daemon.home / "cogloop.toml").write_text(config)
    daemon.proc.send_signal(signal.SIGHUP)


def daemon_processes(home: Path) -> list[psutil.Process]:
    """Every process of the daemon at `home`: the supervisor, its actors, its model server stand-in
    (named by their command line, or by their working directory: the daemon runs them in HOME)."""
    found = []
    for p in psutil.process_iter(["cmdline", "status", "cwd"]):
        try:
            ours = str(home) in " ".join(p.info["cmdline"] or []) or p.info["cwd"] == str(home)
            if ours and p.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            pass
    return found


def crash_into_backoff(daemon: Daemon, name: str) -> int:
    """kill -9 `name` twice: the first restart is at once, the second waits out its backoff.
    Returns the pid killed last, once `name` is in backoff."""
    old = daemon.child(name)["pid"]
    os.kill(old, signal.SIGKILL)
    old = running_pid(daemon, name, old)
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: daemon.child(name)["state"] == "backoff", what=f"{name} in backoff")
    return old
