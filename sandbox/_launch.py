"""Starting a run's processes: the init forked ahead (full isolation); in degraded mode the
candidate itself (one-process runs) or a runner in init's place (judged runs, sandbox._tree).
The supervisor (sandbox._supervise) watches what this returns."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import struct
from dataclasses import dataclass
from typing import Any

from sandbox import _child, _proc, _tree
from sandbox import _libc as L
from sandbox._context import ServerContext
from sandbox._limits import Limits


def memfd(data: bytes) -> int:
    fd = os.memfd_create("sandbox-stdin", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Started:
    """A run's processes as the supervisor holds them."""

    pid: int
    out_r: int
    err_r: int
    res_r: int
    st_r: int | None  # init's report (full isolation)
    pidfd: int | None  # the candidate's exit (degraded)
    nonce: str
    work_dir: str | None = None


@dataclass
class Warm:
    """A run's init forked ahead of its request (full isolation): it already sits in a fresh
    pid namespace, inside the jail, with its /proc and /tmp mounted, waiting on `sock`. The
    fork and the namespace work happen while the server is idle, not while a caller waits."""

    started: Started
    sock: socket.socket

    def alive(self) -> bool:
        try:
            return os.waitpid(self.started.pid, os.WNOHANG)[0] == 0
        except ChildProcessError:
            return False

    def discard(self) -> None:
        self.sock.close()
        for fd in (self.started.out_r, self.started.err_r, self.started.res_r, self.started.st_r):
            if fd is not None:
                os.close(fd)
        try:
            os.kill(self.started.pid, signal.SIGKILL)
            os.waitpid(self.started.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def prepare_warm(ctx: ServerContext) -> Warm:
    """Fork the next run's init (see Warm). Raises OSError when namespaces are refused."""
    assert ctx.zygote is not None
    nonce = secrets.token_hex(16)
    L.setns(ctx.own_pidns_fd, L.CLONE_NEWPID)  # undo the last run's unshare
    L.unshare(L.CLONE_NEWPID)  # our next child is pid 1 of a new pid namespace
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    st_r, st_w = os.pipe()
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    uid = _proc.sandbox_uid(os.getpid())  # one run at a time per fork server: unique among live runs
    pid = os.fork()
    if pid == 0:
        try:
            L.setns(ctx.zygote.net_fd, L.CLONE_NEWNET)
            L.setns(ctx.zygote.mnt_fd, L.CLONE_NEWNS)  # root and cwd are now the jail's
            _proc.place_fds(theirs.fileno(), out_w, err_w, res_w, st_w)
            _child.warm_init(nonce, uid=uid, extra_ro=ctx.extra_ro, prefork=ctx.judged_last)
        finally:
            os._exit(126)
    theirs.close()
    for fd in (out_w, err_w, res_w, st_w):
        os.close(fd)
    return Warm(Started(pid, out_r, err_r, res_r, st_r, None, nonce), mine)


def start_full(req: dict[str, Any], ctx: ServerContext, stdin_fd: int) -> Started:
    warm, ctx.warm = ctx.warm, None
    if warm is None or not warm.alive():
        if warm is not None:
            warm.discard()
        warm = prepare_warm(ctx)
    fds = [stdin_fd]
    if req.get("cwd"):
        fds.append(os.open(req["cwd"], os.O_RDONLY | os.O_DIRECTORY))
    try:
        body = json.dumps(req).encode()
        socket.send_fds(warm.sock, [struct.pack("!Q", len(body))], fds)
        warm.sock.sendall(body)
    finally:
        for fd in fds[1:]:
            os.close(fd)
        warm.sock.close()
    return warm.started


def start_degraded(req: dict[str, Any], ctx: ServerContext, stdin_fd: int, limits: Limits) -> Started:
    """No namespaces: fork the candidate itself, in a host work dir we remove afterwards."""
    try:  # a full start that failed halfway leaves us unshared into a pid namespace whose init
        L.setns(ctx.own_pidns_fd, L.CLONE_NEWPID)  # is dead, where every fork fails with ENOMEM
    except OSError:
        pass
    nonce = secrets.token_hex(16)
    work_dir = os.path.join(ctx.work_parent, f"run-{os.getpid()}-{secrets.token_hex(4)}")
    if req.get("cwd"):  # a copy, as in the jail: the host's directory never changes
        shutil.copytree(req["cwd"], work_dir, symlinks=True)
    else:
        os.mkdir(work_dir, 0o700)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    judged = req["kind"] in _child.JUDGED
    st_r, st_w = os.pipe() if judged else (None, None)
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(work_dir)
            if judged:  # a runner in init's place: it starts the judge and candidate processes
                _proc.place_fds(stdin_fd, out_w, err_w, res_w, st_w)
                steps = _child.judge_plan(req)
                _tree.run(req, steps, nonce, limits, uid=None, full=False,
                          nproc_rlimit="pids" not in ctx.slot.paths, status_fd=_child.FD_STATUS)
            _proc.place_fds(stdin_fd, out_w, err_w, res_w)
            _child.candidate(req, nonce, limits, uid=None, nproc_rlimit="pids" not in ctx.slot.paths)
        finally:
            os._exit(126)
    for fd in (out_w, err_w, res_w, st_w):
        if fd is not None:
            os.close(fd)
    return Started(pid, out_r, err_r, res_r, st_r, None if judged else os.pidfd_open(pid), nonce, work_dir)
