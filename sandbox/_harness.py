"""What runs inside the sandboxed child after the jail is built: the candidate, then its tests.

Trust boundary: candidate code runs in this very interpreter, so everything the harness needs
after that point is captured in local variables first (module globals and builtins can be
monkeypatched by the candidate). Verdicts go to a private pipe, one JSON line per test, each
carrying a per-run nonce the supervisor generated; the candidate's stdout never counts. An
audit hook closes the usual roads to the nonce (frame and gc introspection, tracing, ctypes,
/proc/*/mem); after the uid drop the process is not dumpable, so /proc/self/mem is root's.
Residual risk (docs/sandbox.md): code that deliberately digs through interpreter memory by
other means could forge a verdict; it still cannot leave the jail.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import sys
from typing import Any, NoReturn

from sandbox._testsfile import Step

_BLOCKED = frozenset({
    "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace",
    "sys.setprofile", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
})
_BLOCKED_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})


def _make_hook() -> Any:
    blocked, attrs = _BLOCKED, _BLOCKED_ATTRS

    def hook(event: str, args: tuple) -> None:
        # ValueError, because stdlib callers of sys._getframe (logging, typing, namedtuple)
        # already treat it as "no frame available" and carry on.
        if event in blocked or event.startswith("ctypes."):
            raise ValueError(f"{event} is disabled in the sandbox")
        if event == "object.__getattr__" and len(args) > 1 and args[1] in attrs:
            raise ValueError(f"{args[1]} is disabled in the sandbox")
        if event == "object.__setattr__" and len(args) > 1 and args[1] == "__code__":
            raise ValueError("replacing a function's code is disabled in the sandbox")
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            path = os.fsdecode(args[0])
            if path.startswith("/proc/") and path.rstrip("/").endswith(("/mem", "/environ")):
                raise PermissionError(f"{path} is disabled in the sandbox")

    return hook


def _fresh_stdio() -> None:
    """New sys.std* on fds 0-2 (the fork server's were never meant for the candidate)."""
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                  encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def _describe(exc: BaseException) -> str:
    """`Type: message`, defensively: the exception object belongs to the candidate."""
    try:
        name = type(exc).__name__
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not break the harness
        return "exception (unprintable)"
    return (f"{name}: {text}" if text else name)[:2000]


def run(kind: str, code: str, steps: list[Step] | None, entry_point: str, result_fd: int, nonce: str) -> NoReturn:
    """Execute the candidate (kind "code") or the candidate and its tests (kind "tests"); never returns."""
    # Everything used after the candidate starts is bound here, before it can patch anything.
    _write, _exit, _dumps, _describe_, _isinstance = os.write, os._exit, json.dumps, _describe, isinstance
    _display, _compile, _exec, _len, _getattr = sys.__excepthook__, compile, exec, len, getattr
    _MemoryError, _SystemExit, _BaseException, _callable = MemoryError, SystemExit, BaseException, callable
    _with_tb = BaseException.with_traceback
    _sys, _print = sys, print

    def record(**fields: Any) -> None:
        data = (_dumps({"n": nonce, **fields}) + "\n").encode()
        try:
            while data:
                data = data[_write(result_fd, data):]
        except OSError:
            pass

    def finish(status: int) -> NoReturn:
        for stream in (_sys.stdout, _sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a closed or replaced stream
                pass
        _exit(status)

    # The tests' own builtins, copied before the candidate can patch builtins.abs & co.
    pristine_builtins = dict(builtins.__dict__)
    _fresh_stdio()
    stdout, stderr = sys.stdout, sys.stderr
    sys.addaudithook(_make_hook())
    ns: dict[str, Any] = {"__name__": "__main__" if kind == "code" else "__candidate__", "__builtins__": builtins}
    memory_error = False
    try:
        _exec(_compile(code, "<candidate>", "exec"), ns)
    except _SystemExit as exc:
        if kind == "code":
            rc = exc.code if _isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not _isinstance(exc.code, int):
                _print(exc.code, file=stderr)
            record(done=True, memory_error=False)
            finish(rc & 0xFF)
        load_error: str | None = "candidate exited while loading: " + _describe_(exc)
    except _BaseException as exc:
        memory_error = _isinstance(exc, _MemoryError)
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # hide the harness frame
        _display(type(exc), _with_tb(exc, tb), tb)
        load_error = "candidate failed to load: " + _describe_(exc)
    else:
        load_error = None

    if kind == "code":
        record(done=True, memory_error=memory_error)
        finish(1 if load_error else 0)

    candidate = ns.get(entry_point) if load_error is None else None
    if load_error is None and not _callable(candidate):
        load_error = f"entry point {entry_point!r} is not defined by the candidate"
    # The tests run in a copy of the candidate's namespace, with pristine builtins: what the
    # candidate rebinds in its own globals while being tested (check, helpers, test_*) or in
    # builtins cannot reach them. (A module both import, e.g. math, is still shared.)
    tns = dict(ns)
    tns["__builtins__"] = pristine_builtins
    tns["candidate"] = candidate
    setup_error = load_error
    for step in steps or []:
        if step.kind == "setup":
            if setup_error is None:
                try:
                    _exec(step.code, tns)
                except _BaseException as exc:
                    memory_error = memory_error or _isinstance(exc, _MemoryError)
                    setup_error = f"tests setup failed at line {step.lineno}: {_describe_(exc)}"
            continue
        if setup_error is not None:
            record(name=step.name, passed=False, error=setup_error)
            continue
        try:
            if step.kind == "assert":
                _exec(step.code, tns)
            else:
                tns[step.name]()
        except _BaseException as exc:
            memory_error = memory_error or _isinstance(exc, _MemoryError)
            record(name=step.name, passed=False, error=_describe_(exc))
        else:
            record(name=step.name, passed=True, error="")
    record(done=True, memory_error=memory_error)
    finish(0)
