"""The run's processes below the supervisor: the namespace init and the candidate itself.

Full isolation (root, namespaces available):
    supervisor --fork--> init (pid 1 of a new pid namespace, forked ahead of its request;
                         root; enters the jail; waits for the request; reaps)
                             --fork--> candidate (rlimits, setsid, uid drop, no_new_privs)
When init exits, the kernel kills everything left in the namespace, whatever it did (setsid,
double fork, SIGTERM ignored). The candidate cannot signal init: pid 1 ignores signals it
has no handler for from inside its namespace, and it runs as another uid anyway.

Degraded (not root or no namespaces): the candidate is forked directly, in its own session,
with the supervisor as child subreaper so escaped grandchildren come back to it to be killed.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import struct
import sys
from typing import Any, NoReturn

from sandbox import _harness, _jail, _testsfile
from sandbox import _libc as L
from sandbox._limits import Limits

# Fixed fd numbers inside the run (everything else is closed).
FD_RESULT, FD_STATUS = 3, 4
AS_SLACK_MB = 96  # address space the interpreter maps beyond its heap (libc, stacks, arenas)
# The interpreter's bin first: `python` in run_cmd is the one running cogloop (shown read-only).
SANDBOX_ENV = {"PATH": f"{os.path.join(sys.prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin", "HOME": _jail.WORK_DIR,
               "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}


def sandbox_uid(supervisor_pid: int) -> int:
    """A uid of its own per concurrent run: RLIMIT_NPROC and kill() are per uid."""
    return 200_000 + supervisor_pid % 100_000


def place_fds(*fds: int) -> None:
    """Move the run's fds to 0, 1, 2... (stdin, stdout, stderr, result, status, source dir)
    and close every other fd inherited from the fork server."""
    moved = [os.dup(fd) for fd in fds]  # dup first so dup2 never clobbers a source
    for target, fd in enumerate(moved):
        os.dup2(fd, target, inheritable=True)
    os.closerange(len(fds), 65536)


def set_limits(limits: Limits, *, nproc_rlimit: bool) -> None:
    mb = 2**20
    cpu = max(1, int(-(-limits.cpu_s // 1)))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = (int(limits.mem_mb) + AS_SLACK_MB) * mb
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    fsize = int(limits.fsize_mb * mb)
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits.nofile), int(limits.nofile)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc_rlimit:
        resource.setrlimit(resource.RLIMIT_NPROC, (int(limits.nproc), int(limits.nproc)))


def drop_privileges(uid: int) -> None:
    """setgroups/gid/uid, then no_new_privs: nothing can gain root back (no setuid binaries)."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)


def exec_candidate(req: dict[str, Any], steps: Any, nonce: str) -> NoReturn:
    """Become the candidate: clean environment, then the harness or the command."""
    os.environ.clear()
    os.environ.update(SANDBOX_ENV)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    L.prctl(L.PR_SET_DUMPABLE, 0)
    if req["kind"] == "cmd":
        os.close(FD_RESULT)
        try:
            os.execvpe(req["argv"][0], req["argv"], SANDBOX_ENV)
        except OSError as exc:
            os.write(2, f"sandbox: cannot run {req['argv'][0]}: {exc.strerror}\n".encode())
            os._exit(127)
    _harness.run(req["kind"], req.get("code", ""), steps, req.get("entry_point", ""), FD_RESULT, nonce)


def candidate(req: dict[str, Any], steps: Any, nonce: str, limits: Limits, *, uid: int | None,
              nproc_rlimit: bool) -> NoReturn:
    try:
        os.setsid()
        with open("/proc/self/oom_score_adj", "w") as f:
            # The OOM killer's first choice, always: the fork server, its supervisor and init
            # share the memory cgroup (raising needs no privilege; lowering theirs may be refused).
            f.write("1000")
        set_limits(limits, nproc_rlimit=nproc_rlimit)
        if uid is not None:
            drop_privileges(uid)
        else:
            L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)
        exec_candidate(req, steps, nonce)
    except BaseException as exc:  # noqa: BLE001 - report any setup failure, never return
        try:
            os.write(2, f"sandbox: setup failed: {exc!r}\n".encode())
        finally:
            os._exit(126)


def warm_init(nonce: str, *, uid: int, extra_ro: list[str]) -> NoReturn:
    """pid 1 of the next run, forked ahead: mount /proc and /tmp, then wait on fd 0 (a socket)
    for the request and its fds (stdin memfd, optional source dir), fork the candidate,
    reap, report the candidate's exit and rusage on FD_STATUS."""
    try:
        L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
        _jail.enter_run()
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
        steps = _testsfile.plan(req["tests"]) if req["kind"] == "tests" else None
        _jail.make_tmp(uid=uid, tmp_mb=max(8, int(limits.fsize_mb * 4)), extra_ro=extra_ro, src_fd=src_fd)
        if src_fd is not None:
            os.close(src_fd)
        pid = os.fork()
        if pid == 0:
            os.close(FD_STATUS)
            L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)
            candidate(req, steps, nonce, limits, uid=uid, nproc_rlimit=True)
        for fd in (0, 1, 2, FD_RESULT):
            os.close(fd)
        while True:  # reap orphans too until the candidate itself is done
            got, status, ru = os.wait4(-1, 0)
            if got == pid:
                break
        report = {"returncode": os.waitstatus_to_exitcode(status),
                  "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
        os.write(FD_STATUS, json.dumps(report).encode())
        os._exit(0)
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(FD_STATUS, json.dumps({"error": f"sandbox init failed: {exc!r}"}).encode())
        finally:
            os._exit(1)
