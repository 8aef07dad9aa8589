"""The run's first processes below the supervisor: the namespace init, and a one-process run.

Full isolation (root, namespaces available):
    supervisor --fork--> init (pid 1 of a new pid namespace, forked ahead of its request;
                         root; enters the jail; waits for the request; reaps)
                             --fork--> candidate (run_code, run_cmd: rlimits, setsid, uid drop,
                                                  no_new_privs), or
                             --fork--> judge + candidate processes (run_tests, race: sandbox._tree)
When init exits, the kernel kills everything left in the namespace, whatever it did (setsid,
double fork, SIGTERM ignored). Nothing in the run can signal init: pid 1 ignores signals it
has no handler for from inside its namespace, and the run's processes are other uids anyway.

Degraded (not root or no namespaces): the candidate, or the judged run's runner, is forked
directly, with the supervisor as child subreaper so escaped grandchildren come back to it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import struct
from typing import Any, NoReturn

from sandbox import _harness, _jail, _testsfile, _tree
from sandbox import _libc as L
from sandbox._limits import Limits
from sandbox._proc import SANDBOX_ENV, become

# Fixed fd numbers inside the run (everything else is closed).
FD_RESULT, FD_STATUS = 3, 4
JUDGED = ("tests", "race", "suite")  # kinds run as a judge process and a candidate process


def candidate(req: dict[str, Any], nonce: str, limits: Limits, *, uid: int | None, nproc_rlimit: bool) -> NoReturn:
    """A one-process run (kind "code" or "cmd"): the program itself, under every limit."""
    try:
        become(limits, uid=uid, oom_adj=1000, nproc_rlimit=nproc_rlimit)
        if req["kind"] == "cmd":
            os.close(FD_RESULT)
            try:
                os.execvpe(req["argv"][0], req["argv"], SANDBOX_ENV)
            except OSError as exc:
                os.write(2, f"sandbox: cannot run {req['argv'][0]}: {exc.strerror}\n".encode())
                os._exit(127)
        _harness.run(req.get("code", ""), FD_RESULT, nonce)
    except BaseException as exc:  # noqa: BLE001 - report any setup failure, never return
        try:
            os.write(2, f"sandbox: setup failed: {exc!r}\n".encode())
        finally:
            os._exit(126)


def judge_plan(req: dict[str, Any]) -> Any:
    """What the judge runs, compiled: a tests file's steps, a suite's by group, else None."""
    if req["kind"] == "tests":
        return _testsfile.plan(req["tests"])
    if req["kind"] == "suite":
        return {name: _testsfile.plan(src) for name, src in req["groups"]}
    return None


def warm_init(nonce: str, *, uid: int, extra_ro: list[str], prefork: bool = False) -> NoReturn:
    """pid 1 of the next run, forked ahead: mount /proc and /tmp, then wait on fd 0 (a socket)
    for the request and its fds (stdin memfd, optional source dir), fork the candidate (or
    the judge, sandbox._tree), reap, report the exit and the tree's rusage on FD_STATUS.
    `prefork`: also fork a judged run's candidate ahead (sandbox._tree.prefork)."""
    try:
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
        _jail.enter_run()
        ahead = _tree.prefork(uid) if prefork else None
        sock = socket.socket(fileno=0)
        head, fds, _, _ = socket.recv_fds(sock, 8, 2)
        if len(head) != 8:
            os._exit(0)  # the server discarded us
        (size,) = struct.unpack("!Q", head)
        body = bytearray()
        while len(body) < size:
            chunk = sock.recv(min(size - len(body), 1 << 20))
            if not chunk:
                os._exit(1)
            body += chunk
        sock.detach()
        req = json.loads(body)
        os.dup2(fds[0], 0)  # stdin; the request socket is gone with it
        os.close(fds[0])
        src_fd = fds[1] if len(fds) > 1 else None
        limits = Limits(**req["limits"])
        steps = judge_plan(req)
        _jail.make_tmp(uid=uid, tmp_mb=max(8, int(limits.fsize_mb * 4)), extra_ro=extra_ro, src_fd=src_fd)
        if src_fd is not None:
            os.close(src_fd)
        if req["kind"] in JUDGED:
            _tree.run(req, steps, nonce, limits, uid=uid, full=True, nproc_rlimit=True, status_fd=FD_STATUS,
                      ahead=ahead)
        _tree.discard(ahead)
        pid = os.fork()
        if pid == 0:
            os.close(FD_STATUS)
            L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
            candidate(req, nonce, limits, uid=uid, nproc_rlimit=True)
        for fd in (0, 1, 2, FD_RESULT):
            os.close(fd)
        while True:  # reap orphans too until the candidate itself is done
            got, status = os.waitpid(-1, 0)
            if got == pid:
                break
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)  # the candidate and every orphan reaped
        report = {"returncode": os.waitstatus_to_exitcode(status),
                  "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
        os.write(FD_STATUS, json.dumps(report).encode())
        os._exit(0)
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(FD_STATUS, json.dumps({"error": f"sandbox init failed: {exc!r}"}).encode())
        finally:
            os._exit(1)
