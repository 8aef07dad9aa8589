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

from sandbox import _parts, _testsfile, _verdicts
from sandbox._child import JUDGED
from sandbox._context import ServerContext
from sandbox._launch import memfd, start_degraded, start_full
from sandbox._limits import Limits
from sandbox._reaper import descendants, kill_descendants, tree_cpu_s
from sandbox._result import JUDGE_VERSION, RunResult
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
    """Run one request to the end; returns {"run": RunResult dict, "tests": [...] | None}, plus
    "judge" (version, signs) for judged runs and "race" for a race."""
    limits = Limits(**req["limits"])
    steps = _testsfile.plan(req["tests"], compiled=False) if req["kind"] == "tests" else None  # names
    groups = {name: _testsfile.plan(src, compiled=False) for name, src in req["groups"]} if req["kind"] == "suite" else {}
    wall_s = _parts.total_wall_s(req, limits.wall_s) if req["kind"] == "suite" else limits.wall_s
    me = os.getpid()
    start = time.monotonic()
    req["deadline"] = start + wall_s  # CLOCK_MONOTONIC is the same in every process of the run
    ctx.judged_last = req["kind"] in JUDGED
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
    deadline = start + wall_s
    killed_for: str | None = None
    done = False  # the candidate process has exited
    report: dict[str, Any] = {}
    cpu_at_kill = 0.0

    def stop(reason: str) -> None:
        """The supervisor's own kill: read the tree's CPU time first (nobody reports it after)."""
        nonlocal killed_for, cpu_at_kill
        killed_for = reason
        zygote = ctx.zygote.pid if ctx.zygote else None
        cpu_at_kill = tree_cpu_s([p for p in descendants(me) if p != zygote])
        kill_tree()

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
            stop("timeout")
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
                    stop("output_limit")
            else:
                sink += data
                if len(sink) > 64 * 2**20 and killed_for is None:  # verdicts never get this big: a flood
                    stop("output_limit")
    sel.close()
    for fd in (run.out_r, run.err_r, run.res_r, run.st_r):
        if fd is not None:
            os.close(fd)  # the fork server lives on: no fd may leak from a run
    # The end, every time: init's death takes its pid namespace with it; the cgroup and the
    # subreaper walk catch anything that got out some other way.
    kill_tree()
    if run.st_r is not None:
        init_end: dict[str, Any] = {}
        try:
            _, status, ru = os.wait4(pid, 0)  # init (or the judge) itself, should it not report
            init_end = {"returncode": os.waitstatus_to_exitcode(status), "cpu_s": ru.ru_utime + ru.ru_stime,
                        "maxrss_kb": ru.ru_maxrss}
        except ChildProcessError:
            pass
        if killed_for is not None:  # our own kill: no exit status of its own to report
            init_end.pop("returncode", None)
        try:
            report = json.loads(status_raw) if status_raw else init_end
        except ValueError:
            report = init_end
    if not full:
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
    records = _verdicts.parse(results, run.nonce)
    cpu_s = max(float(report.get("cpu_s", 0.0)), cpu_at_kill)
    stderr_text = err.text()
    if report.get("error"):
        stderr_text += "\n" + report["error"]
    if killed_for is None and records.done.get("call_timeout") and req["kind"] != "suite":
        killed_for = "timeout"  # a call ran out of time; the judge went on with a fresh candidate
        # (a suite's groups have a status each: _verdicts.group_status)
    returncode = _verdicts.returncode(report)
    result = RunResult(
        status=classify(returncode=returncode, killed_for=killed_for,
                        memory_hit=oom or bool(records.done.get("memory_error")), cpu_s=cpu_s,
                        cpu_limit_s=limits.cpu_s),
        returncode=returncode,
        stdout=out.text(), stderr=stderr_text,
        stdout_truncated=out.over, stderr_truncated=err.over,
        wall_s=round(wall, 4), cpu_s=round(cpu_s, 4),
        peak_rss_mb=peak if peak is not None else round(report.get("maxrss_kb", 0) / 1024, 2),
        isolation=isolation,
    )
    reply: dict[str, Any] = {"run": result.to_dict(), "tests": None}
    if steps is not None:
        reply["tests"] = _verdicts.tests(steps, records, result)
    if req["kind"] in JUDGED:
        reply["judge"] = _verdicts.judge_info(records, JUDGE_VERSION)
    lost = {"ok": False, "error": f"no result: the run ended ({result.status})"}
    if req["kind"] == "race":
        reply["race"] = records.race or lost
    if req["kind"] == "suite":
        reply["groups"] = {name: {"tests": _verdicts.tests(plan, records, result, group=name),
                                  "status": _verdicts.group_status(records, name, result)}
                           for name, plan in groups.items()}
        reply["races"] = {role: records.races.get(role) or lost
                          for kind, role in _parts.plan(req) if kind == "race"}
    return reply


def _rmtree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
