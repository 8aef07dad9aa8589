"""Test daemons die with the test run: pytest runs in a pid namespace of its own.

    python -m tests.pidns -- COMMAND ARGS...   # run a command so (conftest.py does it for pytest)

A detached daemon (`cogloop up --detach`: setsid, its own session) outlives the process that
started it; a test run killed by a CI timeout used to leave one behind with its model server
(issue 10). Here the command runs in a new pid namespace whose pid 1 is a small init:

    the process CI started (outer)           waits; forwards SIGTERM/SIGHUP; ignores ^C (pytest gets it)
     └─ init, pid 1 of the namespace         PR_SET_PDEATHSIG=SIGKILL: dies with the outer, even on
         │                                   kill -9; reaps orphans; exits with the command's status
         └─ the command (pytest), pid 10000  and everything it starts, daemons included

When a pid namespace's init dies, the kernel kills every process in it, however it detached:
so nothing started under the command can outlive the outer process or the command itself.
That is a guarantee, not a cleanup that a kill -9 skips. A mount namespace with its own /proc
goes with it, so psutil and /proc see the namespace's pids (the ones `status` reports).

It needs root, or unprivileged user namespaces (then the uid and gid map to themselves, so the
command runs with the same rights as without). Without either, `run` returns a reason and the
caller runs as before (tests/test_pidns.py then fails: the guarantee does not hold there).
"""

from __future__ import annotations

import os
import select
import signal
import sys
from typing import NoReturn

from sandbox import _libc

MARK = "TESTS_PIDNS"  # set inside: "1" (not COGLOOP_*: conftest.py clears those)
FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
CLONE_NEWUSER = 0x10000000
# The command's pid, and the next ones up from it: pids as unremarkable as on a host. (Tests that
# need a pid no sandbox jail can see, like tests/test_sandbox_hostile.py's, take their own, and
# in a jail's pid namespace the small numbers are taken.)
FIRST_PID = 10_000


def _enter() -> None:
    """Make this process's next child pid 1 of a new pid namespace (as root, else in a user namespace)."""
    try:
        _libc.unshare(_libc.CLONE_NEWPID)
        return
    except OSError:
        if os.geteuid() == 0:
            raise
    uid, gid = os.geteuid(), os.getegid()
    _libc.unshare(CLONE_NEWUSER | _libc.CLONE_NEWPID)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def _forward_to(pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in FORWARDED:
        signal.signal(sig, lambda s, _f: os.kill(pid, s))


def _init(alive: int, argv: list[str]) -> NoReturn:
    """pid 1: tied to the outer process, its own /proc, then the command (pid FIRST_PID). `alive` reads
    a pipe the outer holds open: EOF means it is gone (getppid() says 0 across the namespace)."""
    try:
        _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive], [], [], 0)[0]:  # the outer died before the prctl: go, and all with us
            os._exit(1)
        os.close(alive)
        _libc.unshare(_libc.CLONE_NEWNS)
        _libc.mount(None, "/", None, _libc.MS_REC | _libc.MS_PRIVATE)
        _libc.mount("proc", "/proc", "proc", _libc.MS_NOSUID | _libc.MS_NODEV | _libc.MS_NOEXEC)
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(FIRST_PID - 1))
        child = os.fork()
    except OSError as exc:
        print(f"tests.pidns: cannot set up the namespace: {exc}", file=sys.stderr)
        os._exit(70)
    if child == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _forward_to(child)
    while True:  # reap everything re-parented to us; leave with the command
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(70)
        if pid == child:
            sys.stdout.flush()
            os._exit(_exit_code(status))


def run(argv: list[str]) -> str:
    """Run `argv` in a new pid namespace and exit with its status; returns only the reason why
    that is not possible here (nothing was started then)."""
    try:
        _enter()
    except OSError as exc:
        return f"no pid namespace ({exc.strerror}): test daemons may outlive a killed run"
    os.environ[MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    alive, keep = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(keep)
        _init(alive, argv)
    os.close(alive)
    _forward_to(init)
    while True:
        try:
            _, status = os.waitpid(init, 0)
            break
        except ChildProcessError:
            os._exit(70)
    os._exit(_exit_code(status))


def inside() -> bool:
    """True in a process started under `run` (pytest and everything it starts)."""
    return os.environ.get(MARK) == "1"


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m tests.pidns -- COMMAND ARGS...", file=sys.stderr)
        sys.exit(2)
    print(f"tests.pidns: {run(args)}", file=sys.stderr)
    sys.exit(1)
