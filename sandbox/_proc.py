"""Turning a fork into one of a run's sandboxed processes: its fds, limits, uid and session."""

from __future__ import annotations

import os
import resource
import signal
import sys

from sandbox import _jail
from sandbox import _libc as L
from sandbox._limits import Limits

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
    """The run's rlimits. Unprivileged (a candidate forked ahead, sandbox._tree) they can only
    go down: a limit above the hard one inherited from the fork server is held at that."""
    mb = 2**20
    cpu = max(1, int(-(-limits.cpu_s // 1)))
    mem = (int(limits.mem_mb) + AS_SLACK_MB) * mb
    wanted = [(resource.RLIMIT_CPU, cpu, cpu + 1), (resource.RLIMIT_AS, mem, mem),
              (resource.RLIMIT_FSIZE, int(limits.fsize_mb * mb), int(limits.fsize_mb * mb)),
              (resource.RLIMIT_NOFILE, int(limits.nofile), int(limits.nofile)), (resource.RLIMIT_CORE, 0, 0)]
    if nproc_rlimit:
        wanted.append((resource.RLIMIT_NPROC, int(limits.nproc), int(limits.nproc)))
    root = os.geteuid() == 0
    for which, soft, hard in wanted:
        if not root:
            cap = resource.getrlimit(which)[1]
            if cap != resource.RLIM_INFINITY:
                soft, hard = min(soft, cap), min(hard, cap)
        resource.setrlimit(which, (soft, hard))


def drop_privileges(uid: int, saved: int | None = None) -> None:
    """setgroups/gid/uid, then no_new_privs: nothing can gain root back (no setuid binaries).

    `saved`: keep this uid (and gid) as the saved one, so the process can later start children
    that become it without root (the judge, sandbox._tree); by default all three are `uid`.
    Works unprivileged too, towards a uid the process already holds as real, effective or saved.
    """
    keep = uid if saved is None else saved
    if os.geteuid() == 0:
        os.setgroups([])
    os.setresgid(uid, uid, keep)
    os.setresuid(uid, uid, keep)
    L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)


def _oom_adj(value: int) -> None:
    """Raise our OOM score (needs no privilege). A fork of a non-dumpable process has its /proc
    files owned by root, so it is made dumpable for the write; the caller makes it not again."""
    L.prctl(L.PR_SET_DUMPABLE, 1)
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write(str(value))


def become(limits: Limits | None, *, uid: int | None, oom_adj: int, nproc_rlimit: bool, cwd: str | None = None,
           saved_uid: int | None = None, session: bool = True) -> None:
    """Turn this fork into one of the run's sandboxed processes: own session, the OOM killer's
    order, the limits (None: later, by set_limits), the uid drop (or no_new_privs alone), a
    clean environment, not dumpable (so neither its memory nor its fds can be read through
    /proc by anyone but root)."""
    if session:
        os.setsid()
    # The fork server, its supervisor and init share the memory cgroup: the candidate must
    # always be the OOM killer's first choice.
    _oom_adj(oom_adj)
    if limits is not None:
        set_limits(limits, nproc_rlimit=nproc_rlimit)
    if uid is not None:
        drop_privileges(uid, saved_uid)
    else:
        L.prctl(L.PR_SET_NO_NEW_PRIVS, 1)
    if cwd:
        os.chdir(cwd)
    os.environ.clear()
    os.environ.update(SANDBOX_ENV)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    L.prctl(L.PR_SET_DUMPABLE, 0)
    L.prctl(L.PR_SET_PDEATHSIG, signal.SIGKILL)  # a uid change cleared it: die with our parent
