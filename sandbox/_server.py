"""The fork server: a fresh, single-threaded, pre-imported interpreter that forks one
supervisor per run, so a run costs a fork instead of an interpreter start.

Started by sandbox._client with a fresh exec (never forked from the caller, which may be
threaded) and an almost empty environment, so no secret is in its memory or its
/proc/PID/environ for a run to inherit. Protocol on a unix socket in a 0700 directory: one
connection per run, a length-prefixed JSON request, a length-prefixed JSON reply; runs are
served one at a time (each owns the server's cgroup slot while it lasts). It dies with its
caller (EOF on its stdin pipe) and never outlives it.
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import traceback

# Pre-imported for candidates: what generated code usually imports costs nothing per run.
import bisect, collections, copy, dataclasses, datetime, decimal, fractions, functools  # noqa: E401,F401
import hashlib, heapq, itertools, math, operator, random, re, statistics, string  # noqa: E401,F401
import textwrap, typing, unicodedata  # noqa: E401,F401

from sandbox import _jail
from sandbox import _libc as L
from sandbox._cgroup import Slot, sweep_stale
from sandbox._context import ServerContext
from sandbox._launch import prepare_warm
from sandbox._supervise import supervise
from sandbox._zygote import Zygote

HEADER = struct.Struct("!I")
MAX_REQUEST = 64 * 2**20


def recv_msg(sock: socket.socket) -> dict | None:
    head = _recv_exact(sock, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_REQUEST:
        return None
    body = _recv_exact(sock, size)
    return None if body is None else json.loads(body)


def send_msg(sock: socket.socket, msg: dict) -> None:
    body = json.dumps(msg).encode()
    sock.sendall(HEADER.pack(len(body)) + body)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def probe_namespaces() -> bool:
    """Can a child make every namespace a run needs? (Tried in a throwaway child.)"""
    pid = os.fork()
    if pid == 0:
        try:
            L.unshare(L.CLONE_NEWPID | L.CLONE_NEWNS | L.CLONE_NEWNET | L.CLONE_NEWIPC | L.CLONE_NEWUTS)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _serve_one(conn: socket.socket, ctx: ServerContext) -> None:
    """Read one request, run it to the end (we are its supervisor), answer. Never raises."""
    try:
        conn.settimeout(10.0)  # a caller that connects and says nothing must not stall us
        req = recv_msg(conn)
        if req is None:
            return
        try:
            reply = supervise(req, ctx)
        except Exception as exc:  # noqa: BLE001 - the caller gets one line, not a hang
            reply = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
            # Whatever the run had started is in our slot: end it before the next one.
            zygote_pid = ctx.zygote.pid if ctx.zygote else None
            ctx.slot.kill_others({os.getpid()} | ({zygote_pid} if zygote_pid else set()))
        conn.settimeout(30.0)
        send_msg(conn, reply)
    except (OSError, ValueError):
        pass  # the caller went away; the run is over either way
    finally:
        conn.close()


def main(argv: list[str]) -> None:
    rundir, want_mode, parent = argv[0], argv[1], int(argv[2])
    hide = json.loads(argv[3]) if len(argv) > 3 else []
    # Not PR_SET_PDEATHSIG: it fires when the parent *thread* that started us exits, and
    # callers start servers from worker threads. Our stdin is a pipe only the caller holds:
    # EOF on it means the caller is gone.
    if os.getppid() != parent:
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sweep_stale()
    slot = Slot(f"cogloop-sandbox-{os.getpid()}")
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("-1000")  # where allowed (CAP_SYS_RESOURCE); candidates raise theirs to 1000
    except OSError:
        pass
    mode = "full" if want_mode == "full" and os.geteuid() == 0 and probe_namespaces() else "none"
    jail_root = os.path.join(rundir, "root")
    work_parent = os.path.join(rundir, "work")
    os.makedirs(jail_root, exist_ok=True)
    os.makedirs(work_parent, exist_ok=True)
    zygote = None
    if mode == "full":
        zygote = Zygote(jail_root, _jail.interpreter_dirs(), hide)
        try:
            zygote.start()
        except OSError as exc:
            print(f"sandbox: no jail, running degraded: {exc}", file=sys.stderr)
            mode, zygote = "none", None
    if mode == "none":
        L.prctl(L.PR_SET_CHILD_SUBREAPER, 1)  # degraded runs' escaped grandchildren come back to us
    ctx = ServerContext(mode=mode, zygote=zygote, own_pidns_fd=os.open("/proc/self/ns/pid", os.O_RDONLY),
                        work_parent=work_parent, slot=slot,
                        extra_ro=_jail.interpreter_dirs(), hide=hide)
    gc.freeze()  # runs are forks: keep the collector from touching (copying) inherited pages
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(os.path.join(rundir, "sock"))
    sock.listen(64)
    ready = {"ready": True, "pid": os.getpid(), "mode": mode, "cgroups": sorted(slot.available)}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    try:
        while True:
            readable, _, _ = select.select([sock, 0], [], [], 0.5)
            if 0 in readable and not os.read(0, 1):
                break
            if sock in readable:
                conn, _ = sock.accept()
                if zygote is not None:
                    try:
                        zygote.ensure()
                    except OSError:
                        ctx.mode, zygote = "none", None  # reported in every RunResult from now on
                # One run at a time, supervised right here (no extra fork): it owns the
                # slot's cgroup limits until it is done. Parallel runs use several fork
                # servers (sandbox._client.Pool).
                _serve_one(conn, ctx)
                slot.relax()
            if ctx.mode == "full" and ctx.warm is None:
                try:
                    ctx.warm = prepare_warm(ctx)  # the next run's init, while nobody waits
                except OSError:
                    ctx.warm = None  # made on demand, or the run reports the degradation
            if os.getppid() != parent:
                break
    finally:
        if ctx.warm is not None:
            ctx.warm.discard()  # it sits in our cgroup slot, which must be empty to go
        if zygote is not None:
            zygote.stop()
        slot.remove()
        shutil.rmtree(rundir, ignore_errors=True)  # also when the caller died without close()


if __name__ == "__main__":
    main(sys.argv[1:])
