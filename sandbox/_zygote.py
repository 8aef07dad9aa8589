"""The zygote: one idle process per fork server that holds the static jail — a mount
namespace whose root is the read-only jail, and an empty network namespace — so each run
enters them with two setns calls instead of building twenty mounts and a network namespace.

Runs of one fork server share the network namespace (one at a time; nothing in it but a
loopback that is down, and a uid-dropped run cannot configure it); each run still gets its
own mount, IPC and pid namespaces.
"""

from __future__ import annotations

import os
import signal

from sandbox import _jail
from sandbox import _libc as L


class Zygote:
    """Start with `start()`; `fds()` gives (mnt_fd, net_fd) to setns into; dies with the server."""

    def __init__(self, jail_root: str, extra_ro: list[str], hide: list[str]) -> None:
        self.jail_root, self.extra_ro, self.hide = jail_root, extra_ro, hide
        self.pid: int | None = None
        self.mnt_fd = self.net_fd = -1
        self._keep_w = -1

    def start(self) -> None:
        ready_r, ready_w = os.pipe()
        keep_r, keep_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(ready_r)
                os.close(keep_w)
                L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
                L.unshare(L.CLONE_NEWNS | L.CLONE_NEWNET | L.CLONE_NEWUTS)
                _jail.build_static(self.jail_root, extra_ro=self.extra_ro, hide=self.hide)
                os.write(ready_w, b"ok")
                os.close(ready_w)
                os.read(keep_r, 1)  # until the fork server goes away
            except BaseException as exc:  # noqa: BLE001
                try:
                    os.write(ready_w, f"zygote failed: {exc!r}".encode())
                finally:
                    os._exit(1)
            os._exit(0)
        os.close(ready_w)
        os.close(keep_r)
        answer = os.read(ready_r, 4096)
        os.close(ready_r)
        if answer != b"ok":
            os.close(keep_w)
            os.waitpid(pid, 0)
            raise OSError(answer.decode(errors="replace") or "zygote died")
        self.pid, self._keep_w = pid, keep_w
        self.mnt_fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
        self.net_fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            got, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return got == 0

    def stop(self) -> None:
        for fd in (self.mnt_fd, self.net_fd, self._keep_w):
            if fd >= 0:
                os.close(fd)
        self.mnt_fd = self.net_fd = self._keep_w = -1
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None

    def ensure(self) -> None:
        """Restart the zygote if it died (nothing in a run can reach it; this is belt and braces)."""
        if not self.alive():
            self.stop()
            self.start()
