"""`run_code`'s single process: the code runs as a program (`__name__ == "__main__"`).

No verdicts here (tests run in two processes: sandbox._judge and sandbox._serve); the only
record on the private pipe is the end of the run and whether a MemoryError reached us, and
its bytes are formatted with bound str operations only, so patching json (or anything else)
cannot change it. Everything used after the code starts is bound before it runs.
"""

from __future__ import annotations

import builtins
import os
import sys
from typing import Any, NoReturn

from sandbox._guard import fresh_stdio, make_hook


def run(code: str, result_fd: int, nonce: str) -> NoReturn:
    """Execute `code` as the program; never returns."""
    _write, _exit, _isinstance, _display = os.write, os._exit, isinstance, sys.__excepthook__
    _compile, _exec, _print, _with_tb = compile, exec, print, BaseException.with_traceback
    _MemoryError, _SystemExit, _BaseException, _int, _type = MemoryError, SystemExit, BaseException, int, type
    done = {flag: f'{{"n": "{nonce}", "done": true, "memory_error": {flag}}}\n'.encode() for flag in ("true", "false")}

    fresh_stdio()
    streams = (sys.stdout, sys.stderr)
    stderr = sys.stderr
    sys.addaudithook(make_hook())
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    status, memory_error = 0, False
    try:
        _exec(_compile(code, "<candidate>", "exec"), ns)
    except _SystemExit as exc:
        status = exc.code if _isinstance(exc.code, _int) else (0 if exc.code is None else 1)
        if exc.code is not None and not _isinstance(exc.code, _int):
            _print(exc.code, file=stderr)
    except _BaseException as exc:
        memory_error = _isinstance(exc, _MemoryError)
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # hide the harness frame
        _display(_type(exc), _with_tb(exc, tb), tb)
        status = 1
    for stream in streams:
        try:
            stream.flush()
        except _BaseException:  # noqa: BLE001 - a closed or replaced stream
            pass
    try:
        _write(result_fd, done["true" if memory_error else "false"])
    except OSError:
        pass
    _exit(status & 0xFF)
