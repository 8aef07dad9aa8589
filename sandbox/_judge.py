"""The judge of a judged run: it runs the tests (or the efficiency race) and alone writes
verdicts. No candidate code ever runs here.

The namespace the tests see is built from trusted sources only: the task's context (helpers
the tests use, such as HumanEval/32's `poly`; sandbox.humaneval_context), then `candidate`
and the entry point's name bound to a stub (sandbox._stub) that reaches the candidate process
with plain data. Verdicts go to the private pipe, one JSON line per test, each with the run's
nonce. The judge is the run's pid 1 under a uid of its own (sandbox._tree says why the
candidate can neither signal, trace nor limit it).
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import sys
from typing import TYPE_CHECKING, Any, Callable

from sandbox import _race, _suite
from sandbox._guard import describe, fresh_stdio
from sandbox._stub import Candidate, CandidateFault, Link
from sandbox._testsfile import Step

if TYPE_CHECKING:
    from sandbox._tree import Spawner


def _explain(exc: BaseException, link: Link, ns: dict[str, Any], entry: str) -> str:
    text = describe(exc)
    name = getattr(exc, "name", None) if isinstance(exc, NameError) else None
    if name and name in link.names and name not in ns:
        text += (f" ({name!r} is the candidate's own name; tests reach the candidate only as "
                 f"`candidate` or `{entry}`)")
    return text


Record = Callable[..., None]


def recorder(result_fd: int, nonce: str) -> Record:
    """`record(**fields)`: one verdict line on the private pipe, with the run's nonce."""
    def record(**fields: Any) -> None:
        data = (json.dumps({"n": nonce, **fields}) + "\n").encode()
        try:
            while data:
                data = data[os.write(result_fd, data):]
        except OSError:
            pass
    return record


def namespace(req: dict[str, Any], link: Link) -> tuple[dict[str, Any], str | None, bool]:
    """A fresh namespace for tests or a race: the task's context, then `candidate` and the entry
    point's name bound to the stub. (ns, the context's error or None, whether it was a MemoryError)."""
    entry = req["entry_point"]
    ns: dict[str, Any] = {"__name__": "__tests__", "__builtins__": builtins}
    setup_error, memory_error = None, False
    if req.get("context"):
        try:
            exec(compile(req["context"], "<context>", "exec"), ns)
        except BaseException as exc:  # noqa: BLE001 - the task's fault, reported on every test
            memory_error = isinstance(exc, MemoryError)
            setup_error = f"the task's context failed: {describe(exc)}"
    stub = Candidate(link, entry)
    ns["candidate"] = ns[entry] = stub
    return ns, setup_error, memory_error


def race_setup(req: dict[str, Any], ns: dict[str, Any], setup_error: str | None) -> str | None:
    """Run the race's setup in `ns`; its error (or the context's), else None."""
    if setup_error is None:
        try:
            exec(compile(req["setup"], "<race setup>", "exec"), ns)
        except BaseException as exc:  # noqa: BLE001
            setup_error = f"the race's setup failed: {describe(exc)}"
    return setup_error


def tests(link: Link, ns: dict[str, Any], steps: list[Step], record: Record, setup_error: str | None,
          entry: str) -> tuple[int, bool]:
    """Run a tests file's steps, one verdict each; (tests passed, whether a MemoryError was seen)."""
    loaded, memory_error, passed = False, False, 0
    for step in steps:
        if step.kind == "setup":
            if setup_error is None:
                link.fault = None
                try:
                    exec(step.code, ns)
                except BaseException as exc:  # noqa: BLE001
                    memory_error = memory_error or isinstance(exc, MemoryError)
                    setup_error = f"tests setup failed at line {step.lineno}: {_explain(exc, link, ns, entry)}"
                if link.fault and setup_error is None:
                    setup_error = f"tests setup failed at line {step.lineno}: {link.fault}"
            continue
        if setup_error is None and link.expired():  # no call could be answered
            link.call_timed_out = True
            record(name=step.name, passed=False, error="no result: the wall clock ran out before this test")
            continue
        if setup_error is None and not loaded:
            loaded = True
            try:
                setup_error = link.ready() or None
            except CandidateFault as exc:
                setup_error = str(exc)
        if setup_error is not None:
            record(name=step.name, passed=False, error=setup_error)
            continue
        link.fault = None
        error = ""
        try:
            if step.kind == "assert":
                exec(step.code, ns)
            else:
                ns[step.name]()
        except BaseException as exc:  # noqa: BLE001 - every failure is the test's verdict
            memory_error = memory_error or isinstance(exc, MemoryError)
            error = _explain(exc, link, ns, entry) or type(exc).__name__
        if link.fault:  # a crash, a timeout or a refused result fails the test, caught or not
            error = link.fault
        passed += not error
        record(name=step.name, passed=not error, error=error)
    return passed, memory_error


def run(req: dict[str, Any], steps: Any, *, spawner: "Spawner", first: tuple[socket.socket, int],
        result_fd: int, nonce: str, tree: bool) -> int:
    """Judge one run (req["kind"] "tests", "race" or "suite"), verdicts on `result_fd`; 0 when done.
    `steps`: the tests file's plan, or a suite's plans by group."""
    fresh_stdio()
    record = recorder(result_fd, nonce)
    limits = req["limits"]
    link = Link(spawner, deadline=float(req["deadline"]), call_timeout=float(req.get("call_timeout_s") or limits["cpu_s"]))
    link.adopt(*first)  # already loading, while the context and the tests' setup run here
    if req["kind"] == "suite":
        memory_error, call_timeout = _suite.run(req, steps, link, record, tree=tree)
    else:
        ns, setup_error, memory_error = namespace(req, link)
        call_timeout = False
        if req["kind"] == "race":
            setup_error = race_setup(req, ns, setup_error)
            outcome = {"ok": False, "error": setup_error} if setup_error else _race.race(link, ns, req, tree=tree)
            record(race=outcome)
        else:
            memory_error |= tests(link, ns, steps or [], record, setup_error, req["entry_point"])[1]
    link.kill()
    record(done=True, memory_error=memory_error or link.memory_error, call_timeout=call_timeout or link.call_timed_out,
           signs=link.signs)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    return 0
