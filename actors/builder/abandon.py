"""Calls a stopping builder can walk away from.

An LLM call may take minutes (a slow model) or hang (a stuck server); the builder must still
stop within the supervisor's grace period and give its task back. So the call runs in a
helper thread and the builder's thread waits for either its result or the stop signal. On
stop it raises `Stopping` and leaves the helper behind (a daemon thread blocked in HTTP: it
dies with the process a moment later).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")

POLL_S = 0.05  # how often the waiting thread looks at the stop flag


class Stopping(Exception):
    """The actor is stopping: abandon the round and give the task back."""


def check(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise Stopping("the builder is stopping")


def abandonable(fn: Callable[..., T], stopping: threading.Event | None) -> Callable[..., T]:
    """`fn` run so that a set `stopping` makes the caller raise Stopping at once (within POLL_S).
    Without an event, `fn` itself (no thread: unit tests and benches keep the direct path)."""
    if stopping is None:
        return fn

    def call(*args: Any, **kw: Any) -> T:
        check(stopping)
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn(*args, **kw)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="llm-call", daemon=True).start()
        while not done.wait(POLL_S):
            check(stopping)
        if "error" in box:
            raise box["error"]
        return box["value"]
    return call
