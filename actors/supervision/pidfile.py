"""The daemon's pidfile, held with flock: a second supervisor on the same home refuses, and
`daemon_running` answers without talking to any socket (a dead daemon's lock is gone). A clean
exit removes the file, so one found unlocked with a pid in it tells of an unclean exit."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    def __init__(self, pid: int | None):
        super().__init__(pid)
        self.pid = pid


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


class PidFile:
    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.stale_pid: int | None = None  # set by acquire: the pid an unclean exit left behind

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(read_pid(self.path)) from None
        self.stale_pid = read_pid(self.path)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None


def is_locked(path: Path) -> bool:
    """True while some process holds the pidfile's lock, i.e. a daemon is running."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
