"""A judged run's processes: its first process becomes the judge, and starts candidate processes.

    init (pid 1 of the run's pid namespace; root while it builds the jail)
      --fork--> candidate  (the sandbox uid; holds only stdio and its call socket; forked
                            ahead of the request, with init, when the server expects a
                            judged run: it waits for its code in the jail, already uid-dropped)
      then drops to the judge's uid and runs the tests (sandbox._judge)
      --fork--> a fresh candidate after a crash or a call timeout (sandbox._stub)

Why the candidate can neither signal, trace nor limit the judge:
- the kernel drops every signal sent to a pid namespace's init from inside the namespace
  unless init handles it, and the judge handles none (SIGKILL and SIGSTOP included);
- the judge's real and effective uid are its own (the candidate's uid + JUDGE_UID_OFFSET):
  ptrace, /proc/PID/mem and /fd, prlimit, setpriority and affinity all need the caller's uid
  to match those, and the judge is not dumpable besides;
- its *saved* uid is the candidate's, which is what lets it start a fresh candidate process
  without root (a process may switch to any uid it holds); tests could switch too, but only
  to the candidate's uid, never back to root.

Degraded mode (no namespaces, not root): the runner is the judge and everything shares one uid;
the candidate could then signal the judge or lower its limits — a run that fails, which is
why such results say `isolation: false` (docs/sandbox.md).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import time
from contextlib import contextmanager
from typing import Any, Iterator, NoReturn

from sandbox import _jail, _judge, _proc, _serve, _wire
from sandbox import _libc as L
from sandbox._limits import Limits
from sandbox._probe import HZ, stat_ticks, uid_of

JUDGE_UID_OFFSET = 100_000
AHEAD_NAME = b"sandbox-ahead"  # /proc/PID/comm of a candidate process forked ahead, still idle
_OOM_JUDGE = 500  # below the candidate's 1000: the OOM killer takes the candidate first


class Spawner:
    """Starts and ends the run's candidate processes (one at a time), from init or the judge."""

    def __init__(self, req: dict[str, Any], limits: Limits, uid: int | None, nproc_rlimit: bool) -> None:
        self.req, self.limits, self.uid, self.nproc_rlimit = req, limits, uid, nproc_rlimit
        self.code = first_code(req)  # what the next process loads (a suite races the reference first)
        self.current = 0  # the live candidate process (0: none)
        self.ends: list[dict[str, Any]] = []

    def spawn(self) -> tuple[socket.socket, int]:
        """A fresh candidate process (the current one is ended first): our end of its socket, its pid."""
        if self.current:
            self.end(0.0)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                _proc.place_fds(0, 1, 2, theirs.fileno())  # and nothing else: no verdict pipe
                _proc.become(self.limits, uid=self.uid, oom_adj=1000, nproc_rlimit=self.nproc_rlimit)
                _serve.run(self.code, self.req["entry_point"], 3)
            finally:
                os._exit(126)
        theirs.close()
        self.current = pid
        return mine, pid

    def sweep(self) -> None:
        """Kill every process left of the candidate's uid (full isolation: the run's pid
        namespace shows only the run's), so a suite's next part starts as clean as a new run:
        nothing a candidate left running (a setsid'd child) is counted in a later race."""
        if self.uid is None:
            return
        with self._as_candidate():
            for name in os.listdir("/proc"):
                if name.isdigit() and uid_of(int(name)) == self.uid:
                    try:
                        os.kill(int(name), signal.SIGKILL)
                    except OSError:
                        pass
        self.reap()

    @contextmanager
    def _as_candidate(self) -> Iterator[None]:
        """Signalling the candidate needs its uid (a sender's uid must match the target's real
        or saved uid): the judge borrows it, from its saved uid, for the kill only."""
        me = os.geteuid()
        if self.uid is None or me == 0 or me == self.uid:
            yield
            return
        os.seteuid(self.uid)
        try:
            yield
        finally:
            os.seteuid(me)

    def end(self, grace_s: float) -> dict[str, Any]:
        """End the current candidate process (after `grace_s` to finish dying on its own, so a
        crash is reported as the crash); {"returncode", "by_init"}."""
        pid, self.current = self.current, 0
        if not pid:
            return {"returncode": None, "by_init": False}
        status = None
        deadline = time.monotonic() + min(max(grace_s, 0.0), 2.0)
        while status is None:
            got, raw = os.waitpid(pid, os.WNOHANG)
            if got:
                status = os.waitstatus_to_exitcode(raw)
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.002)
        by_init = status is None
        if by_init:
            with self._as_candidate():
                for kill in (os.killpg, os.kill):  # it, and what it forked (a session leader)
                    try:
                        kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        self.reap()
        end = {"returncode": status, "by_init": by_init}
        self.ends.append(end)
        return end

    @staticmethod
    def reap() -> None:
        """Collect the orphans reparented to us (we are pid 1): zombies would hold pids."""
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    return
            except ChildProcessError:
                return

    def report(self) -> dict[str, Any]:
        """The run's end for the supervisor: each candidate process's end, the tree's CPU."""
        if self.current:
            self.end(0.0)
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        ru_self = resource.getrusage(resource.RUSAGE_SELF)
        cpu = ru.ru_utime + ru.ru_stime + ru_self.ru_utime + ru_self.ru_stime
        if self.uid is not None:  # orphans still running: counted, then the namespace's end kills them
            cpu += sum(sum(stat_ticks(int(p))) for p in os.listdir("/proc")
                       if p.isdigit() and uid_of(int(p)) == self.uid) / HZ
        return {"returncode": 0, "served": self.ends, "cpu_s": cpu,
                "maxrss_kb": max(ru.ru_maxrss, ru_self.ru_maxrss)}


def first_code(req: dict[str, Any]) -> str:
    """The code a run's first process loads: the candidate's, or in a suite that races the
    reference first (sandbox._parts), the reference's."""
    race = req.get("race") if req.get("kind") == "suite" else None
    if race and not race.get("figures"):
        return str(race.get("reference") or "")
    return str(req.get("code") or "")


def prefork(uid: int) -> tuple[socket.socket, int]:
    """A candidate process forked by a warm init before its request (full isolation): chrooted
    into the jail and uid-dropped at once, it waits on its socket for the code, then sets the
    run's limits and serves. Its fork and its wait for a CPU are then off the run's clock."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        try:
            # stdin is /dev/null (a tests run has none), never init's request socket
            _proc.place_fds(os.open(_jail.INNER + "/dev/null", os.O_RDONLY), 1, 2, theirs.fileno())
            os.chroot(_jail.INNER)
            os.chdir("/")
            _proc.become(None, uid=uid, oom_adj=1000, nproc_rlimit=True)
            L.set_name(AHEAD_NAME)  # idle, holding no code: tests/test_sandbox_hostile.py tells it apart
            sock = socket.socket(fileno=3)
            _, payload = _wire.Frames(sock).next()
            L.set_name(b"python")
            req = json.loads(payload)
            _proc.set_limits(Limits(**req["limits"]), nproc_rlimit=True)
            os.chdir(_jail.WORK_DIR)
            sock.detach()
            _serve.run(req["code"], req["entry_point"], 3)
        except BaseException:  # noqa: BLE001 - discarded unused, or the run ends: quietly
            pass
        finally:
            os._exit(126)
    theirs.close()
    return mine, pid


def discard(ahead: tuple[socket.socket, int] | None) -> None:
    """A candidate forked ahead that the request did not need (a one-process run)."""
    if ahead is not None:
        ahead[0].close()
        try:
            os.kill(ahead[1], signal.SIGKILL)
            os.waitpid(ahead[1], 0)
        except (OSError, ChildProcessError):
            pass


def run(req: dict[str, Any], steps: Any, nonce: str, limits: Limits, *, uid: int | None,
        full: bool, nproc_rlimit: bool, status_fd: int, ahead: tuple[socket.socket, int] | None = None) -> NoReturn:
    """In init (fds: 0 stdin, 1 stdout, 2 stderr, 3 verdicts, `status_fd`): start the first
    candidate (or hand its request to the one forked `ahead`), become the judge, judge the
    run, report on `status_fd`.
    `full`: we are the pid namespace's init (else degraded mode's runner, same uid for all)."""
    spawner = Spawner(req, limits, uid, nproc_rlimit)
    if ahead is not None:
        _wire.send_frame(ahead[0], b"J", json.dumps({"code": spawner.code, "entry_point": req["entry_point"],
                                                     "limits": req["limits"]}).encode())
        spawner.current = ahead[1]
        first = ahead
    else:
        first = spawner.spawn()  # it loads while we become the judge
    judge_uid = None if uid is None else uid + JUDGE_UID_OFFSET
    _proc.become(limits, uid=judge_uid, saved_uid=uid, oom_adj=_OOM_JUDGE, nproc_rlimit=nproc_rlimit,
                 cwd="/", session=False)
    outcome = _judge.run(req, steps, spawner=spawner, first=first, result_fd=3, nonce=nonce, tree=full)
    report = spawner.report()
    report["returncode"] = outcome
    os.write(status_fd, json.dumps(report).encode())
    os._exit(0)
