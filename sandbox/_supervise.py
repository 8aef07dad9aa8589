"""One run, seen from its supervisor: the fork server itself, one run at a time.

Starts the run's processes (sandbox._launch), feeds stdin from a memfd, reads stdout and
stderr up to their caps, enforces the wall clock, kills the whole tree at the end every
time, and turns what it saw into a RunResult plus the verdicts from the private pipe.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import time
from typing import Any

from sandbox import _testsfile
from sandbox._context import ServerContext
from sandbox._launch import memfd, start_degraded, start_full
from sandbox._limits import Limits
from sandbox._reaper import kill_descendants
from sandbox._result import RunResult, TestResult
from sandbox._status import classify

CHUNK = 65536


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


def supervise(req: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    """Run one request to the end; returns {"run": RunResult dict, "tests": [...] | None}."""
    limits = Limits(**req["limits"])
    steps = _testsfile.plan(req["tests"], compiled=False) if req["kind"] == "tests" else None  # names
    me = os.getpid()
    start = time.monotonic()
    # server + zygote + init share the slot's pids count with the run
    mark = ctx.slot.begin(mem_bytes=int(limits.mem_mb * 2**20), extra_pids=3, nproc=int(limits.nproc))
    full = ctx.mode == "full"
    stdin_fd = memfd(req.get("stdin", "").encode("utf-8", errors="surrogateescape"))
    try:
        if full:
            try:
                run = start_full(req, ctx, stdin_fd)
            except OSError:
                full = False  # namespaces refused after all: say so in this result
        if not full:
            run = start_degraded(req, ctx, stdin_fd, limits)
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
                kill_descendants(me)
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
        kill_descendants(me)
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
