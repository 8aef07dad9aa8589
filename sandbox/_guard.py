"""What every process that runs generated code installs before the code starts: fresh stdio,
and an audit hook that refuses the usual roads into the interpreter's internals.

The hook binds everything it uses when it is made (len, isinstance, the str and bytes methods),
so patching builtins afterwards cannot blind it. Events that honest code never causes are also
noted as signs of tampering (`SIGN_EVENTS`); sys._getframe and traceback frames are refused
but not noted, since logging, typing, enum and traceback reach for them in good faith.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Callable

from sandbox._probe import status_bytes

BLOCKED = frozenset({
    "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace",
    "sys.setprofile", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
})
BLOCKED_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
SIGN_EVENTS = BLOCKED - {"sys._getframe"}


def make_hook(note: Callable[[str], Any] | None = None) -> Callable[[str, tuple], None]:
    """The audit hook; `note(event)` is called for each refusal that is a sign of tampering."""
    blocked, attrs, signs = BLOCKED, BLOCKED_ATTRS, SIGN_EVENTS
    _len, _isinstance, _str, _bytes = len, isinstance, str, bytes
    _startswith, _endswith, _rstrip = str.startswith, str.endswith, str.rstrip
    _decode = bytes.decode
    _note = note if note is not None else (lambda event: None)

    def hook(event: str, args: tuple) -> None:
        # ValueError, because stdlib callers of sys._getframe (logging, typing, namedtuple)
        # already treat it as "no frame available" and carry on.
        if event in blocked or _startswith(event, "ctypes."):
            if event in signs or _startswith(event, "ctypes."):
                _note(event)
            raise ValueError(f"{event} is disabled in the sandbox")
        if event == "object.__getattr__" and _len(args) > 1 and args[1] in attrs:
            raise ValueError(f"{args[1]} is disabled in the sandbox")
        if event == "object.__setattr__" and _len(args) > 1 and args[1] == "__code__":
            _note("replacing a function's __code__")
            raise ValueError("replacing a function's code is disabled in the sandbox")
        if event == "open" and args:
            path = args[0]
            if _isinstance(path, _bytes):
                path = _decode(path, "utf-8", "surrogateescape")
            if _isinstance(path, _str) and _startswith(path, "/proc/") and \
                    _endswith(_rstrip(path, "/"), ("/mem", "/environ")):
                _note(f"open {path}")
                raise PermissionError(f"{path} is disabled in the sandbox")

    return hook


def fresh_stdio() -> None:
    """New sys.std* on fds 0-2 (the fork server's were never meant for the code)."""
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                  encoding="utf-8", errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def describe(exc: BaseException) -> str:
    """`Type: message`, defensively: the exception object may belong to hostile code."""
    try:
        name = type(exc).__name__
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not break the caller
        return "exception (unprintable)"
    return (f"{name}: {text}" if text else name)[:2000]


def self_rss_bytes() -> int:
    """This process's resident memory now (VmRSS), 0 if unknown."""
    return status_bytes("self", b"VmRSS:")
