"""A warm spare before adoption: its actor's start-up, done while it waits for a name.

The supervisor keeps one spare process per actor kind (actors/supervision/spares.py). A spare
starts the interpreter, imports its actor and loads the configuration; then, in a thread while
the main thread waits on stdin for the name it will take, it runs the actor class's
`prepare(config, home)`: everything the actor needs that depends on neither its name nor the
bus — Memory opens the store, the Scorer and the Builder start a sandbox fork server, the
Builder imports and warms its LLM client. On adoption it takes its identity at once (log file,
bus identity) and the actor finds what `prepare` made in `ctx.prepared`, waiting only if it is
still being made: a spare adopted before it is ready is never slower than a fresh process, and
a ready one serves as soon as it is connected.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any


class Prepared:
    """What a spare's `prepare` made (or is still making); empty for a process started fresh."""

    def __init__(self, future: Future | None = None) -> None:
        self._future = future

    def get(self, key: str, default: Any = None) -> Any:
        """`prepare`'s result under `key`, once it is done; `default` without one (a fresh
        start, or a prepare that failed: the actor then does that part itself)."""
        if self._future is None:
            return default
        try:
            made = self._future.result()
        except BaseException:  # noqa: BLE001 - said in the spare's log when it happened
            return default
        return made.get(key, default) if isinstance(made, dict) else default

    @property
    def done(self) -> bool:
        return self._future is None or self._future.done()


def prepare_ahead(actor_class: Any, kind: str, config: Any, home: Path) -> Prepared:
    """Run `actor_class.prepare(config, home)` in a thread; what it makes, as a Prepared."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(actor_class.prepare(config, home) or {})
        except BaseException as exc:  # noqa: BLE001 - the adopted actor does the work itself
            print(f"cogloop spare ({kind}): start-up ahead of adoption failed; the actor will do it "
                  f"once adopted: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            future.set_exception(exc)
    threading.Thread(target=run, name="prepare", daemon=True).start()
    return Prepared(future)
