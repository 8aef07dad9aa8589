"""A run's process tree seen from the supervisor, by /proc's parent links: degraded mode's
tree kill (the supervisor is child subreaper, PR_SET_CHILD_SUBREAPER, so a setsid'ed or
double-forked escapee is reparented to it), and the CPU time of a tree about to be killed."""

from __future__ import annotations

import os
import signal
import time

from sandbox._probe import HZ, stat_ticks


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
                parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return parents


def descendants(me: int) -> list[int]:
    """Every process whose parent chain leads to `me`."""
    parents = _parents()
    return [pid for pid in parents if _descends(pid, me, parents)]


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds of these processes and of every child they reaped (utime, stime, cutime and
    cstime of /proc/PID/stat): the tree's CPU so far, for a run about to be killed."""
    return sum(sum(stat_ticks(pid)) for pid in pids) / HZ


def kill_descendants(me: int) -> None:
    """Degraded mode: SIGKILL every process whose parent chain leads to `me` (we are subreaper)."""
    for _ in range(50):
        mine = descendants(me)
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
