"""One run, seen from its supervisor: the fork server itself, one run at a time.

Starts the run's processes (sandbox._child), feeds stdin from a memfd, reads stdout and
stderr up to their caps, enforces the wall clock, kills the whole tree at the end every
time, and turns what it saw into a RunResult plus the verdicts from the private pipe.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox import _child, _testsfile
from sandbox import _libc as L
from sandbox._cgroup import Slot
from sandbox._limits import Limits
from sandbox._zygote import Zygote
from sandbox._result import RunResult, TestResult
from sandbox._status import classify

CHUNK = 65536


@dataclass
class ServerContext:
    """What the fork server knows once and every run uses."""

    mode: str  # "full" (namespaces + uid drop) or "none" (forced or probed degraded)
    zygote: Zygote | None
    own_pidns_fd: int  # to reset pid_ns_for_children before each run's unshare(CLONE_NEWPID)
    work_parent: str  # host dir for degraded runs' work dirs
    slot: Slot
    extra_ro: list[str] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)
    warm: "Warm | None" = None  # the next run's init, forked ahead


class _Capture:
    """One output stream, kept up to `cap` bytes; `over` once more arrived."""

    def __init__(self, cap: int) -> None:
        self.cap, self.buf, self.over = cap, bytearray(), False

    def feed(self, data: bytes) -> None:
        room = self.cap - len(self.buf)
        self.buf += data[:max(room, 0)]
        if len(data) > room:
            self.over = True

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")


def _memfd(data: bytes) -> int:
    fd = os.memfd_create("sandbox-stdin", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _kill_descendants(me: int) -> None:
    """Degraded mode: SIGKILL every process whose parent chain leads to `me` (we are subreaper)."""
    for _ in range(50):
        parents: dict[int, int] = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                    parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        mine = [pid for pid in parents if _descends(pid, me, parents)]
        if not mine:
            return
        for pid in mine:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap_all()
        time.sleep(0.005)


def _descends(pid: int, ancestor: int, parents: dict[int, int]) -> bool:
    seen = 0
    while pid in parents and seen < 4096:
        pid = parents[pid]
        if pid == ancestor:
            return True
        seen += 1
    return False


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@dataclass
class _Started:
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

    started: _Started
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
    uid = _child.sandbox_uid(os.getpid())  # one run at a time per fork server: unique among live runs
    pid = os.fork()
    if pid == 0:
        try:
            L.setns(ctx.zygote.net_fd, L.CLONE_NEWNET)
            L.setns(ctx.zygote.mnt_fd, L.CLONE_NEWNS)  # root and cwd are now the jail's
            _child.place_fds(theirs.fileno(), out_w, err_w, res_w, st_w)
            _child.warm_init(nonce, uid=uid, extra_ro=ctx.extra_ro)
        finally:
            os._exit(126)
    theirs.close()
    for fd in (out_w, err_w, res_w, st_w):
        os.close(fd)
    return Warm(_Started(pid, out_r, err_r, res_r, st_r, None, nonce), mine)


def _start_full(req: dict[str, Any], ctx: ServerContext, stdin_fd: int) -> _Started:
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


def _start_degraded(req: dict[str, Any], ctx: ServerContext, stdin_fd: int, steps: Any, limits: Limits) -> _Started:
    """No namespaces: fork the candidate itself, in a host work dir we remove afterwards."""
    nonce = secrets.token_hex(16)
    work_dir = os.path.join(ctx.work_parent, f"run-{os.getpid()}-{secrets.token_hex(4)}")
    if req.get("cwd"):  # a copy, as in the jail: the host's directory never changes
        shutil.copytree(req["cwd"], work_dir, symlinks=True)
    else:
        os.mkdir(work_dir, 0o700)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            _child.place_fds(stdin_fd, out_w, err_w, res_w)
            os.chdir(work_dir)
            _child.candidate(req, steps, nonce, limits, uid=None, nproc_rlimit="pids" not in ctx.slot.paths)
        finally:
            os._exit(126)
    for fd in (out_w, err_w, res_w):
        os.close(fd)
    return _Started(pid, out_r, err_r, res_r, None, os.pidfd_open(pid), nonce, work_dir)


def supervise(req: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    """Run one request to the end; returns {"run": RunResult dict, "tests": [...] | None}."""
    limits = Limits(**req["limits"])
    steps = _testsfile.plan(req["tests"]) if req["kind"] == "tests" else None
    me = os.getpid()
    start = time.monotonic()
    # server + zygote + init share the slot's pids count with the run
    mark = ctx.slot.begin(mem_bytes=int(limits.mem_mb * 2**20), extra_pids=3, nproc=int(limits.nproc))
    full = ctx.mode == "full"
    stdin_fd = _memfd(req.get("stdin", "").encode("utf-8", errors="surrogateescape"))
    try:
        if full:
            try:
                run = _start_full(req, ctx, stdin_fd)
            except OSError:
                full = False  # namespaces refused after all: say so in this result
        if not full:
            run = _start_degraded(req, ctx, stdin_fd, steps, limits)
    finally:
        os.close(stdin_fd)
    isolation = {"network": full, "filesystem": full, "pid": full, "uid": full}
    pid = run.pid

    out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
    results, status_raw = bytearray(), bytearray()
    sel = selectors.DefaultSelector()
    for fd, sink in ((run.out_r, out), (run.err_r, err), (run.res_r, results), (run.st_r, status_raw),
                     (run.pidfd, "exit")):
        if fd is not None:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ, sink)
    deadline = start + limits.wall_s
    killed_for: str | None = None
    done = False  # the candidate process has exited
    report: dict[str, Any] = {}

    def kill_tree() -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        if not full:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

    while sel.get_map():
        now = time.monotonic()
        if now >= deadline and killed_for is None and not done:
            killed_for = "timeout"
            kill_tree()
        if done and now >= deadline:
            break  # leftovers hold the pipes open; they die below
        timeout = max(0.0, deadline - now) if not done else max(0.0, min(deadline - now, 0.2))
        events = sel.select(timeout if killed_for is None else 0.5)
        if not events and killed_for is not None:
            break
        for key, _ in events:
            sink = key.data
            if sink == "exit":
                sel.unregister(key.fd)
                _, status, ru = os.wait4(pid, 0)
                report = {"returncode": os.waitstatus_to_exitcode(status),
                          "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
                done = True
                kill_tree()
                _kill_descendants(me)
                continue
            try:
                data = os.read(key.fd, CHUNK)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fd)
                if key.fd == run.st_r:
                    done = True
                continue
            if isinstance(sink, _Capture):
                sink.feed(data)
                if sink.over and killed_for is None and not done:
                    killed_for = "output_limit"
                    kill_tree()
            else:
                sink += data
                if len(sink) > 64 * 2**20:  # verdicts never get this big: a flood
                    killed_for = killed_for or "output_limit"
                    kill_tree()
    sel.close()
    for fd in (run.out_r, run.err_r, run.res_r, run.st_r):
        if fd is not None:
            os.close(fd)  # the fork server lives on: no fd may leak from a run
    # The end, every time: init's death takes its pid namespace with it; the cgroup and the
    # subreaper walk catch anything that got out some other way.
    kill_tree()
    if full:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        if status_raw:
            try:
                report = json.loads(status_raw)
            except ValueError:
                report = {}
    else:
        _kill_descendants(me)
        if not report:
            try:
                _, status, ru = os.wait4(pid, 0)
                report = {"returncode": os.waitstatus_to_exitcode(status),
                          "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
            except ChildProcessError:
                pass
        if run.pidfd is not None:
            os.close(run.pidfd)
    oom, peak = ctx.slot.end(mark)
    ctx.slot.kill_others({me} | ({ctx.zygote.pid} if ctx.zygote and ctx.zygote.pid else set()))
    ctx.slot.relax()
    if run.work_dir:
        _rmtree(run.work_dir)
    wall = time.monotonic() - start
    returncode = report.get("returncode")
    cpu_s = float(report.get("cpu_s", 0.0))
    verdicts, memory_error = _verdicts(results, run.nonce)
    stderr_text = err.text()
    if report.get("error"):
        stderr_text += "\n" + report["error"]
    result = RunResult(
        status=classify(returncode=returncode, killed_for=killed_for, memory_hit=oom or memory_error,
                        cpu_s=cpu_s, cpu_limit_s=limits.cpu_s),
        returncode=returncode,
        stdout=out.text(), stderr=stderr_text,
        stdout_truncated=out.over, stderr_truncated=err.over,
        wall_s=round(wall, 4), cpu_s=round(cpu_s, 4),
        peak_rss_mb=peak if peak is not None else round(report.get("maxrss_kb", 0) / 1024, 2),
        isolation=isolation,
    )
    tests = _tests(steps, verdicts, result) if steps is not None else None
    return {"run": result.to_dict(), "tests": tests}


def _verdicts(raw: bytes, nonce: str) -> tuple[dict[str, dict[str, Any]], bool]:
    """The harness's lines that carry this run's nonce; anything else is ignored."""
    verdicts: dict[str, dict[str, Any]] = {}
    memory_error = False
    for line in bytes(raw).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("n") != nonce:
            continue
        if rec.get("done"):
            memory_error = bool(rec.get("memory_error"))
        elif isinstance(rec.get("name"), str) and rec["name"] not in verdicts:
            verdicts[rec["name"]] = rec
    return verdicts, memory_error


def _tests(steps: list[_testsfile.Step], verdicts: dict[str, dict[str, Any]], run: RunResult) -> list[dict[str, Any]]:
    """One entry per expected test; a test without a verdict failed with the run's status."""
    out = []
    for step in steps:
        if step.kind == "setup":
            continue
        rec = verdicts.get(step.name)
        if rec is None:
            out.append(TestResult(step.name, False, f"no result: the run ended ({run.status}) before this test reported").__dict__)
        else:
            out.append(TestResult(step.name, bool(rec.get("passed")), str(rec.get("error", ""))[:2000]).__dict__)
    return out


def _rmtree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
