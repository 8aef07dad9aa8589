"""Degraded mode's tree kill: without a pid namespace, the supervisor is child subreaper
(PR_SET_CHILD_SUBREAPER), so a setsid'ed or double-forked escapee is reparented to it and
found by walking /proc's parent links."""

from __future__ import annotations

import os
import signal
import time


def kill_descendants(me: int) -> None:
    """Degraded mode: SIGKILL every process whose parent chain leads to `me` (we are subreaper)."""
    for _ in range(50):
        parents: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                    parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        mine = [pid for pid in parents if _descends(pid, me, parents)]
        if not mine:
            return
        for pid in mine:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap_all()
        time.sleep(0.005)


def _descends(pid: int, ancestor: int, parents: dict[int, int]) -> bool:
    seen = 0
    while pid in parents and seen < 4096:
        pid = parents[pid]
        if pid == ancestor:
            return True
        seen += 1
    return False


def reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
