"""Reading a candidate process from outside: its CPU time, its wait for a CPU, its memory.

The judge uses these around the efficiency race's calls, so nothing the candidate does in its
own interpreter (rebinding time.perf_counter, stopping tracemalloc) changes the figures:

- CPU: the candidate process's CPU clock (clock_gettime on the clock id the kernel derives from
  a pid: every thread, nanoseconds) plus, in the run's own pid namespace, every other process
  of the candidate's uid and every child it, or the run's pid 1 (the judge), reaped
  (/proc/PID/stat, clock ticks) — so work handed to a child or a thread is counted too.
- Waiting: run_delay from /proc/PID/schedstat, the time a thread was ready but had no CPU.
  Wall time minus both sides' waits is what a call cost while blocked (sleeping, waiting on a
  helper) as well as computing, without the time other load kept it off the CPU.
- Memory: VmHWM (peak resident set) from /proc/PID/status.

Readable across uids: a process's stat, status and schedstat are world-readable, and the CPU
clock of a pid needs no permission; its memory, fds and ptrace stay closed to the judge.
"""

from __future__ import annotations

import os
import resource
import time

HZ = os.sysconf("SC_CLK_TCK")
_CPUCLOCK_SCHED = 2  # CPUCLOCK_SCHED, process-wide (kernel's MAKE_PROCESS_CPUCLOCK)


def process_cpu_s(pid: int) -> float:
    """Every thread's CPU time of a live process; raises OSError once it is gone."""
    return time.clock_gettime((~pid << 3) | _CPUCLOCK_SCHED)


def stat_ticks(pid: int) -> tuple[int, int]:
    """(own utime + stime, reaped children's cutime + cstime) in clock ticks; (0, 0) if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    except (OSError, ValueError, IndexError):
        return 0, 0


def uid_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def run_delay_s(path: str) -> float | None:
    """The second field of a schedstat file (ns waiting on a run queue), None if unavailable."""
    try:
        with open(path, "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def status_bytes(pid: int | str, key: bytes) -> int:
    """A kB line of /proc/PID/status (b"VmHWM:", b"VmRSS:") in bytes; 0 if unknown."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class Probe:
    """One candidate process seen from the judge. `tree` (full isolation only): also count the
    other processes of its uid in the run's pid namespace and the orphans pid 1 (the judge
    itself: its own rusage) reaped. The files read at every call of a race stay open (pread)."""

    def __init__(self, pid: int, *, tree: bool) -> None:
        self.pid, self.tree = pid, tree
        self.uid = uid_of(pid) if tree else None
        self.judge_is_init = os.getpid() == 1
        self._fds: dict[str, int] = {}

    def _read(self, path: str) -> bytes:
        """A /proc file's fresh contents from a descriptor kept open; raises OSError when gone."""
        fd = self._fds.get(path)
        if fd is None:
            fd = self._fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        return os.pread(fd, 4096, 0)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _reaped_ticks(self) -> int:
        """The candidate's reaped children's CPU (clock ticks), 0 once it is gone."""
        try:
            fields = self._read(f"/proc/{self.pid}/stat").rsplit(b")", 1)[1].split()
            return int(fields[13]) + int(fields[14])
        except (OSError, ValueError, IndexError):
            return 0

    def cpu_s(self) -> float:
        try:
            total = process_cpu_s(self.pid)
        except OSError:
            total = stat_ticks(self.pid)[0] / HZ
        total += self._reaped_ticks() / HZ
        if self.tree and self.uid is not None:
            if self.judge_is_init:  # orphans of the candidate's, reaped by pid 1 (the judge)
                ru = resource.getrusage(resource.RUSAGE_CHILDREN)
                total += ru.ru_utime + ru.ru_stime
            else:
                total += stat_ticks(1)[1] / HZ
            for name in os.listdir("/proc"):
                if name.isdigit() and int(name) not in (1, self.pid, os.getpid()) and uid_of(int(name)) == self.uid:
                    own, children = stat_ticks(int(name))
                    total += (own + children) / HZ
        return total

    def _delay(self, path: str) -> float | None:
        try:
            return int(self._read(path).split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def delay_s(self) -> float | None:
        return self._delay(f"/proc/{self.pid}/schedstat")

    def own_delay_s(self) -> float | None:
        return self._delay("/proc/thread-self/schedstat")

    def peak_rss(self) -> int:
        return status_bytes(self.pid, b"VmHWM:")
