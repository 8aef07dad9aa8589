"""The candidate process of a judged run: load the candidate, then answer calls on one socket.

It holds no verdict channel: its only fds are stdin, stdout and stderr (captured by the
supervisor as text, never read for verdicts) and the call socket to the judge. Nothing it
sends is believed — the judge decodes every reply strictly (sandbox._wire) and keeps its own
verdicts. The protocol, in frames (kind byte + payload):

    to the judge    P {"rss": n}                before any candidate code runs (trusted)
                    H {"error", "names", "memory_error"}   once the candidate has loaded
                    S "event"                    a refused audit event (a sign of tampering)
                    R value | X [type, why] | E [ancestry names, message, memory_error] | D None
    from the judge  C marshal((args, kwargs))    call, reply R, X or E
                    T marshal((args, kwargs))    timed call: keep the result, reply D or E
                    T (empty)                    timed call on the last timed call's arguments,
                                                 decoded afresh from the bytes kept
                    F                            the kept result: R or X

Arguments come from the judge as marshal bytes of data it checked to be plain; marshal's
decoder is this process's own business (it trusts the judge, the judge trusts nothing here).
"""

from __future__ import annotations

import builtins
import marshal
import os
import socket
import sys
from typing import Any, NoReturn

from sandbox import _wire
from sandbox._guard import describe, fresh_stdio, make_hook, self_rss_bytes

NAMES_CAP = 200


def run(code: str, entry_point: str, sock_fd: int) -> NoReturn:
    """Serve the candidate on `sock_fd` until the judge closes it; never returns."""
    # Everything used after the candidate starts is bound here, before it can patch anything.
    _exit, _loads, _encode, _send = os._exit, marshal.loads, _wire.encode, _wire.send_frame
    _NotPlain, _BaseException, _MemoryError, _SystemExit = _wire.NotPlain, BaseException, MemoryError, SystemExit
    _isinstance, _type, _str, _sorted, _callable, _len = isinstance, type, str, sorted, callable, len
    _compile, _exec, _display, _with_tb = compile, exec, sys.__excepthook__, BaseException.with_traceback
    _describe, _WireError = describe, _wire.WireError

    sock = socket.socket(fileno=sock_fd)
    frames = _wire.Frames(sock)
    _recv = frames.next
    _send(sock, b"P", _encode({"rss": self_rss_bytes()}))  # the baseline for peak memory, still ours
    fresh_stdio()
    streams = (sys.stdout, sys.stderr)
    signs: list[str] = []
    sys.addaudithook(make_hook(signs.append))

    def flush() -> None:
        for stream in streams:
            try:
                stream.flush()
            except _BaseException:  # noqa: BLE001 - a closed or replaced stream
                pass

    def send(kind: bytes, payload: bytes) -> None:
        flush()
        while signs:
            _send(sock, b"S", _encode(_str(signs.pop(0))[:200]))
        _send(sock, kind, payload)

    def reply(kind: bytes, value: Any) -> None:
        send(kind, _encode(value))

    def plain(value: Any) -> tuple[bytes, bytes]:
        """The result's frame: R and its encoding (made once), or X and why it is not plain."""
        try:
            return b"R", _encode(value)
        except _NotPlain as exc:
            return b"X", _encode([exc.type_name, exc.why])
        except _BaseException as exc:  # noqa: BLE001 - RecursionError, MemoryError, a hostile hash...
            return b"X", _encode([_str(_type(exc).__name__), "could not be encoded"])

    def raised(exc: BaseException) -> list[Any]:
        try:
            names = [_str(c.__name__) for c in _type(exc).__mro__][:32]
            message = _str(exc)[:2000]
        except _BaseException:  # noqa: BLE001 - a hostile __str__ or metaclass
            names, message = ["Exception"], "exception (unprintable)"
        return [names, message, _isinstance(exc, _MemoryError)]

    ns: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    error, memory_error = "", False
    try:
        _exec(_compile(code, "<candidate>", "exec"), ns)
    except _SystemExit as exc:
        error = "candidate exited while loading: " + _describe(exc)
    except _BaseException as exc:
        memory_error = _isinstance(exc, _MemoryError)
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None  # hide the harness frame
        _display(_type(exc), _with_tb(exc, tb), tb)
        error = "candidate failed to load: " + _describe(exc)
    candidate = ns.get(entry_point) if not error else None
    if not error and not _callable(candidate):
        error = f"entry point {entry_point!r} is not defined by the candidate"
    names = _sorted(k for k in ns if _isinstance(k, _str) and not k.startswith("__"))[:NAMES_CAP]
    reply(b"H", {"error": error, "names": names, "memory_error": memory_error})
    if error:
        flush()
        _exit(1)
    kept: Any = None
    timed_args = b""  # the last timed call's arguments, as bytes (immutable: each call decodes a fresh copy)
    while True:
        try:
            kind, payload = _recv()
        except (EOFError, OSError, _WireError):
            flush()
            _exit(0)
        if kind == b"F":
            send(*plain(kept))
            continue
        kept = None
        if kind == b"T":
            payload = timed_args = payload or timed_args
        try:
            args, kwargs = _loads(payload)
            result = candidate(*args, **kwargs)
        except _BaseException as exc:  # noqa: BLE001 - the judge raises it as the nearest builtin
            reply(b"E", raised(exc))
            continue
        if kind == b"T":
            kept = result
            reply(b"D", None)
        else:
            send(*plain(result))
