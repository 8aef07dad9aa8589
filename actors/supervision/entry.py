"""The daemon process's edges: its arguments, the home and its pidfile, logging, signals, and
the one line it prints (with its exit status) when it cannot run. supervisor.py's `main` strings
them together around `Supervisor.run`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

import zmq

from actors.supervision.curve import CurveRefused
from actors.supervision.pidfile import AlreadyRunning, PidFile
from ops.ground.errors import CogloopError
from ops.ground.home import Home

log = logging.getLogger("cogloop.supervisor")


class Exit(Exception):
    """Leave with this status (the reason is printed and logged already)."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _fail(status: int, message: str, logged: bool = False) -> Exit:
    print(f"cogloop: {message}", file=sys.stderr)
    if logged:  # the daemon got as far as its log
        log.error("%s", message)
    return Exit(status)


def parse(argv: list[str] | None, doc: str | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m supervisor", description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True)
    p.add_argument("--config")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="a configuration override (what `cogloop up` flags become)")
    p.add_argument("--log-file", help="log here (rotating) instead of stderr")
    return p.parse_args(argv)


def prepare(args: argparse.Namespace) -> tuple[Home, dict[str, str]]:
    """The home (made if missing) and the --set overrides; Exit with a one-line reason."""
    try:
        home = Home(Path(args.home).expanduser().absolute()).ensure()
    except OSError as exc:
        raise _fail(1, f"cannot prepare the home {args.home}: {exc.strerror or exc}") from None
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise _fail(2, f"--set expects SECTION.KEY=VALUE, got {item!r}")
        overrides[key] = value
    return home, overrides


@contextlib.contextmanager
def daemon(home: Home) -> Iterator[int | None]:
    """Hold HOME's pidfile while the body runs (a second daemon refuses); yields the pid of a
    predecessor that left it behind (kill -9, OOM, power loss). What the body raises on bad
    configuration or sockets becomes a one-line Exit."""
    pidfile = PidFile(home.pidfile)
    try:
        pidfile.acquire()
    except AlreadyRunning as exc:
        raise _fail(1, f"a daemon is already running at {home.root} (pid {exc.pid}); 'cogloop down' stops it") \
            from None
    try:
        yield pidfile.stale_pid
    except (CogloopError, CurveRefused, ValueError) as exc:
        raise _fail(2, str(exc), logged=True) from None
    except zmq.ZMQError as exc:  # e.g. an ipc path longer than a unix socket allows (~107 bytes)
        raise _fail(1, f"cannot open the daemon's sockets in {home.run}: {exc}", logged=True) from None
    finally:
        pidfile.release()


def setup_logging(log_file: str | None, cfg: Any) -> None:
    fmt = logging.Formatter("%(asctime)s supervisor[%(process)d] %(levelname)s %(message)s")
    if log_file:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=cfg.daemon.log_max_bytes, backupCount=cfg.daemon.log_backups)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class Signals:
    """TERM, INT, HUP and CHLD, taken in the poll loop rather than in a handler: each wakes the
    poll through `fd` (signal.set_wakeup_fd); `take` says which came, SIGCHLD left out (a wake-up
    to reap is all it means)."""

    HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)

    def __init__(self) -> None:
        self.fd, self._wake = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._wake, False)
        self._got: list[int] = []
        signal.set_wakeup_fd(self._wake)
        for sig in self.HANDLED:
            signal.signal(sig, lambda signum, frame: self._got.append(signum))

    def take(self) -> list[int]:
        try:
            os.read(self.fd, 4096)
        except BlockingIOError:
            pass
        got = []
        while self._got:  # popped one by one: a handler may append meanwhile
            sig = self._got.pop(0)
            if sig != signal.SIGCHLD:
                got.append(sig)
        return got

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
