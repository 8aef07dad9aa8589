"""A judged run's first process (the pid namespace's init, or degraded mode's runner): it
starts the judge, starts candidate processes when the judge asks, reaps, and reports.

    init --fork--> judge      (uid of its own; holds the verdict pipe and the control socket)
         --fork--> candidate  (the sandbox uid; holds only stdio and its call socket)

Control socket (SOCK_SEQPACKET, one JSON message each way; the judge is trusted, the
candidate never sees it): {"op": "spawn"} -> {"pid"} plus the judge's end of a new call
socket; {"op": "kill", "grace_s"} -> {"returncode", "by_init"} for the current candidate
(given `grace_s` to finish dying on its own first, so a crash is reported as the crash).
When the judge exits, every candidate process is killed and the report goes to FD_STATUS:
the judge's exit, each candidate process's end, and the CPU time of the whole tree.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import socket
import time
from typing import Any, NoReturn

from sandbox import _judge, _proc, _serve
from sandbox._limits import Limits

JUDGE_UID_OFFSET = 100_000
_OOM_JUDGE = 500  # below the candidate's 1000: the OOM killer takes the candidate first


class _Tree:
    def __init__(self, req: dict[str, Any], limits: Limits, uid: int | None, nproc_rlimit: bool) -> None:
        self.req, self.limits, self.uid, self.nproc_rlimit = req, limits, uid, nproc_rlimit
        self.judge = 0
        self.judge_status: int | None = None
        self.served = 0  # the current candidate process (0: none)
        self.status: dict[int, int] = {}  # reaped pid -> exit status
        self.ends: list[dict[str, Any]] = []

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            rc = os.waitstatus_to_exitcode(status)
            self.status[pid] = rc
            if pid == self.judge:
                self.judge_status = rc

    def spawn(self, ctl: socket.socket) -> None:
        if self.served:
            self.end(0.0)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                ctl.close()
                _proc.place_fds(0, 1, 2, theirs.fileno())
                _proc.become(self.limits, uid=self.uid, oom_adj=1000, nproc_rlimit=self.nproc_rlimit)
                _serve.run(self.req["code"], self.req["entry_point"], 3)
            finally:
                os._exit(126)
        theirs.close()
        self.served = pid
        socket.send_fds(ctl, [json.dumps({"pid": pid}).encode()], [mine.fileno()])
        mine.close()

    def end(self, grace_s: float) -> dict[str, Any]:
        """End the current candidate process; how it ended."""
        pid, self.served = self.served, 0
        if not pid:
            return {"returncode": None, "by_init": False}
        deadline = time.monotonic() + min(max(grace_s, 0.0), 2.0)
        while pid not in self.status and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.002)
        by_init = pid not in self.status
        if by_init:
            try:
                os.killpg(pid, signal.SIGKILL)  # it and what it forked (it is a session leader)
            except OSError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                self.status[pid] = os.waitstatus_to_exitcode(status)
            except (OSError, ChildProcessError):
                self.reap()
        end = {"returncode": self.status.get(pid), "by_init": by_init}
        self.ends.append(end)
        return end

    def answer(self, ctl: socket.socket) -> bool:
        """Serve one control message; False when the judge closed the socket."""
        try:
            data = ctl.recv(1 << 16)
        except OSError:
            return False
        if not data:
            return False
        msg = json.loads(data)
        if msg.get("op") == "spawn":
            self.spawn(ctl)
        else:
            ctl.send(json.dumps(self.end(float(msg.get("grace_s", 0.0)))).encode())
        return True


def run(req: dict[str, Any], steps: Any, nonce: str, limits: Limits, *, uid: int | None,
        full: bool, nproc_rlimit: bool, status_fd: int) -> NoReturn:
    """In init (fds: 0 stdin, 1 stdout, 2 stderr, 3 verdicts, `status_fd`): judge the run.
    `full`: we are the pid namespace's init (else degraded mode's runner, same uid for all)."""
    tree = _Tree(req, limits, uid, nproc_rlimit)
    ctl_judge, ctl = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    devnull = os.open("/dev/null", os.O_RDWR)
    tree.judge = os.fork()
    if tree.judge == 0:
        try:
            signal.set_wakeup_fd(-1)
            ctl.close()
            _proc.place_fds(devnull, 1, 2, 3, ctl_judge.fileno())
            _proc.become(limits, uid=None if uid is None else uid + JUDGE_UID_OFFSET, oom_adj=_OOM_JUDGE,
                          nproc_rlimit=nproc_rlimit, cwd="/")
            _judge.run(req, steps, result_fd=3, ctl_fd=4, nonce=nonce, tree=full)
        finally:
            os._exit(126)
    for fd in (3, devnull):
        os.close(fd)  # only the judge holds the verdict pipe
    ctl_judge.close()
    open_ctl = True
    while tree.judge_status is None:
        tree.reap()
        if tree.judge_status is not None:
            break
        ready, _, _ = select.select([ctl, wake_r] if open_ctl else [wake_r], [], [], 1.0)
        if wake_r in ready:
            os.read(wake_r, 4096)
        if ctl in ready:
            open_ctl = tree.answer(ctl)
    if tree.served:
        tree.end(0.0)
    if full:
        try:
            os.kill(-1, signal.SIGKILL)  # pid 1: everything else left in the namespace
        except OSError:
            pass
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    else:
        tree.reap()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {"returncode": tree.judge_status, "served": tree.ends, "cpu_s": ru.ru_utime + ru.ru_stime,
              "maxrss_kb": ru.ru_maxrss}
    os.write(status_fd, json.dumps(report).encode())
    os._exit(0)
