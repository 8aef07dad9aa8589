"""The judge's side of the candidate: a stub the tests call as `candidate(...)`.

A call checks its arguments are plain data, sends them to the candidate process, and waits
(with its own timeout) for one reply, decoded strictly (sandbox._wire): a plain value is
returned; the candidate's exception is raised as the nearest builtin exception type of its
class's ancestry (a candidate's `class E(ValueError)` is caught by `except ValueError`).

Anything else is a *fault* — the process died or timed out, the result is not plain data,
the reply is malformed — and fails the test even if the test catches it: a test written as
`try: candidate(x) except Exception: pass` must not pass because the candidate crashed.
After a fault that leaves the process unusable, the next call gets a fresh candidate process
(Lazy Pirate style: give up on a silent peer, start a new one, carry on).
"""

from __future__ import annotations

import builtins
import marshal
import signal
import socket
import time
from typing import TYPE_CHECKING, Any

from sandbox import _wire

if TYPE_CHECKING:
    from sandbox._tree import Spawner

BUILTIN_EXCEPTIONS = {name: obj for name, obj in vars(builtins).items()
                      if isinstance(obj, type) and issubclass(obj, BaseException)}
MAX_SPAWNS = 32  # candidate processes per run (a fresh one after each fault)
_MARGIN_S = 0.3  # the judge answers before the supervisor's wall clock kills the run


class CandidateFault(BaseException):
    """The candidate broke the call protocol; the current test fails whatever it catches."""


def rebuild(names: Any, message: Any) -> BaseException | None:
    """The candidate's exception as the nearest builtin type in its ancestry (None: no such type)."""
    if type(names) is not list or type(message) is not str:
        return None
    for name in names:
        cls = BUILTIN_EXCEPTIONS.get(name) if type(name) is str else None
        if cls is None:
            continue
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError wants five arguments: try its parent
            continue
    return None


def exit_text(rc: int | None) -> str:
    if rc is None:
        return "ended"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return f"was killed by {name}" + (" (its CPU time ran out)" if name == "SIGXCPU" else "")
    return f"exited with status {rc}"


class Link:
    """The judge's connection to the current candidate process, and the spawner of new ones."""

    def __init__(self, spawner: "Spawner", *, deadline: float, call_timeout: float) -> None:
        self.spawner, self.deadline, self.call_timeout = spawner, deadline, call_timeout
        self.sock: socket.socket | None = None
        self.frames: _wire.Frames | None = None
        self.pid = 0
        self.hello: dict[str, Any] | None = None
        self.preload_rss = 0
        self.spawns = 0
        self.calls = 0  # requests sent to candidate processes (a suite's part keeps an untouched one)
        self.signs: list[str] = []
        self.fault: str | None = None  # the current test's first fault
        self.memory_error = self.call_timed_out = False
        self.names: set[str] = set()
        self._raised: BaseException | None = None  # the candidate's last exception, as raised here

    # -- candidate processes -----------------------------------------------------------------
    def adopt(self, sock: socket.socket, pid: int) -> None:
        """A candidate process already started (it loads while we get ready)."""
        self.spawns += 1
        self.sock, self.pid, self.hello = sock, pid, None
        self.frames = _wire.Frames(sock)

    def part(self, code: str, *, deadline: float, call_timeout: float) -> None:
        """Start a suite's next part (sandbox._parts): a fresh process loading `code` at the
        first call (the run's first process is kept when it is still untouched and holds
        `code`), the part's own clock, a fresh count of spawns and faults."""
        untouched = self.sock is not None and self.calls == 0 and self.spawner.code == code
        if not untouched:
            self.kill()
            self.spawner.sweep()
        self.spawner.code = code
        self.deadline, self.call_timeout = deadline, call_timeout
        self.spawns = 1 if untouched else 0
        self.fault = None
        self.memory_error = self.call_timed_out = False

    def expired(self) -> bool:
        """No call could be answered before the deadline any more."""
        return time.monotonic() >= self.deadline - _MARGIN_S

    def spawn(self) -> None:
        if self.spawns >= MAX_SPAWNS:
            raise self._fault(f"no candidate process left to call ({MAX_SPAWNS} were started)", kill=False)
        self.adopt(*self.spawner.spawn())

    def kill(self, grace_s: float = 0.0) -> str:
        """End the current candidate process (after `grace_s` to end on its own); how it ended."""
        if self.sock is None:
            return ""
        self.sock.close()
        self.sock = None
        end = self.spawner.end(grace_s)
        return "" if end["by_init"] else f": it {exit_text(end['returncode'])}"

    # -- frames ----------------------------------------------------------------------------
    def _next(self, deadline: float, late: str = "did not answer", when: str = "during the call") -> tuple[bytes, Any]:
        """The next reply (signs set aside), decoded; faults on anything but a well-formed frame."""
        assert self.frames is not None
        while True:
            try:
                kind, payload = self.frames.next(min(deadline, self.deadline - _MARGIN_S))
                value = _wire.decode(payload)
            except _wire.CallTimeout:
                self.call_timed_out = True
                raise self._fault(f"call timeout: the candidate {late} within {self.call_timeout:g} s") from None
            except (EOFError, ConnectionError):
                raise self._fault(f"the candidate process ended {when}", grace_s=0.5) from None
            except _wire.WireError as exc:
                raise self._fault(f"refused reply from the candidate: {exc}", sign=f"refused reply: {exc}") from None
            if kind == b"S":
                if type(value) is str:
                    self.sign(f"blocked: {value}")
                continue
            return kind, value

    def ready(self) -> str:
        """Wait for the candidate process to load; its load error, or ''."""
        if self.sock is None:
            self.spawn()
        if self.hello is None:
            deadline = time.monotonic() + self.call_timeout  # loading is bounded like a call
            kind, value = self._next(deadline, "did not load", "while loading")
            if kind == b"P" and type(value) is dict and type(value.get("rss")) is int:
                self.preload_rss = value["rss"]
                kind, value = self._next(deadline, "did not load", "while loading")
            if kind != b"H" or type(value) is not dict or type(value.get("error")) is not str:
                raise self._fault("refused reply from the candidate: no hello", sign="refused reply: no hello")
            self.hello = value
            self.memory_error |= value.get("memory_error") is True
            names = value.get("names")
            self.names |= {n for n in names if type(n) is str} if type(names) is list else set()
        return self.hello["error"]

    def sign(self, text: str) -> None:
        if text not in self.signs and len(self.signs) < 50:
            self.signs.append(text)

    def _fault(self, message: str, *, sign: str | None = None, kill: bool = True, grace_s: float = 0.0) -> CandidateFault:
        if kill:
            message += self.kill(grace_s)
        if sign:
            self.sign(sign)
        self.fault = self.fault or message
        return CandidateFault(message)

    # -- calls -----------------------------------------------------------------------------
    @staticmethod
    def pack(args: tuple, kwargs: dict) -> bytes:
        """The arguments as the candidate receives them; TypeError if they are not plain data."""
        try:
            _wire.check_plain(args)
            _wire.check_plain(kwargs)
        except _wire.NotPlain as exc:
            raise TypeError(f"tests may pass only plain data to the candidate, not {exc}") from None
        return marshal.dumps((args, kwargs))

    def send(self, kind: bytes, payload: bytes) -> float:
        """Send one request to a loaded candidate; the call's deadline."""
        error = self.ready()
        if error:
            raise self._fault(error, kill=False)
        assert self.sock is not None
        self.calls += 1
        try:
            _wire.send_frame(self.sock, kind, payload)
        except OSError:
            raise self._fault("the candidate process closed its end before the call") from None
        return time.monotonic() + self.call_timeout

    def result(self, deadline: float, *, expect: bytes = b"R") -> Any:
        """The reply to the request just sent: a value, or the candidate's exception raised."""
        kind, value = self._next(deadline)
        if kind == expect:
            return value
        if kind == b"E" and type(value) is list and len(value) == 3:
            exc = rebuild(value[0], value[1])
            if exc is not None:
                self.memory_error |= value[2] is True
                self._raised = exc
                raise exc
        if kind == b"X" and type(value) is list and len(value) == 2 and all(type(v) is str for v in value):
            type_name, why = value[0][:200], value[1][:200]
            forged = why.startswith("a subclass") or why == "its type defines __eq__"
            sign = f"refused result: {type_name} ({why})" if forged else None
            raise self._fault(f"the candidate returned {type_name}, which is not plain data"
                              f"{' (' + why + ')' if why and why != 'not plain data' else ''}", sign=sign, kill=False)
        raise self._fault(f"refused reply from the candidate: unexpected {kind!r}", sign=f"refused reply: {kind!r}")

    def call(self, args: tuple, kwargs: dict) -> Any:
        payload = self.pack(args, kwargs)  # a TypeError here is the test's own mistake
        try:
            return self.result(self.send(b"C", payload))
        except CandidateFault:
            raise
        except BaseException as exc:
            if exc is not self._raised:  # not the candidate's: the judge itself failed mid-call
                self.fault = self.fault or f"the judge failed during the call: {type(exc).__name__}: {exc}"
                try:
                    self.kill()  # the conversation may be out of step: the next call starts afresh
                except BaseException:  # noqa: BLE001 - the fault is recorded either way
                    pass
            raise


class Candidate:
    """What the tests see as `candidate` and under the entry point's name."""

    def __init__(self, link: Link, name: str) -> None:
        self._link, self.__name__, self.__qualname__ = link, name, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._link.call(args, kwargs)

    def __repr__(self) -> str:
        return f"<candidate {self.__name__} (in its own process)>"
