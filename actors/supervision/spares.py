"""Warm spares: one pre-started actor process per kind that has paid for the interpreter, the
imports and the configuration, and waits on stdin for the name it will take (one line: the
name, then ` paused` when the daemon is). A restart hands a
spare its name (`take`), so kill -9 to serving takes milliseconds instead of a Python start-up.

The pool decides when to make one (`top_up`: one per call, a kind at a time) and how a spare
becomes a child (`take`); how a process is made is the caller's (`make`). `take` is the one
place a spare turns into a child: a spare that is already connected and serving under a spare
name would change this module, not its callers.
"""

from __future__ import annotations

import subprocess
from typing import Callable, Iterable


class SparePool:
    def __init__(self, make: Callable[[str], subprocess.Popen]):
        self._make = make  # kind -> a new spare process (stdin a pipe)
        self._spares: dict[str, subprocess.Popen] = {}
        self._leaving: list[subprocess.Popen] = []  # dismissed, not yet exited

    def take(self, kind: str, name: str, before: Callable[[], None] = lambda: None, *,
             paused: bool = False) -> subprocess.Popen | None:
        """The spare of `kind`, now serving as `name` (started paused if `paused`); None when there
        is none alive. `before` runs first (the log file is rotated before the spare opens it)."""
        spare = self._spares.pop(kind, None)
        if spare is None or spare.poll() is not None or spare.stdin is None:
            return None
        before()
        try:
            spare.stdin.write(f"{name}{' paused' if paused else ''}\n".encode())
            spare.stdin.close()
        except OSError:
            spare.kill()
            self._leaving.append(spare)
            return None
        return spare

    def top_up(self, kinds: Iterable[str]) -> None:
        """Make a spare for the first of `kinds` that has none alive (one per call: the caller
        calls again on its next tick, while nothing else is starting)."""
        for kind in dict.fromkeys(kinds):
            spare = self._spares.get(kind)
            if spare is None or spare.poll() is not None:
                self._spares[kind] = self._make(kind)
                return

    def dismiss(self) -> None:
        """Let every spare go (EOF on its stdin: it exits): on stop, and on reload, since they
        hold the old configuration."""
        for spare in self._spares.values():
            try:
                if spare.stdin is not None:
                    spare.stdin.close()
            except OSError:
                pass
        self._leaving += self._spares.values()
        self._spares = {}

    def reap(self) -> None:
        self._leaving = [p for p in self._leaving if p.poll() is None]

    def kill(self) -> None:
        """The supervisor is going: no spare outlives it."""
        self.dismiss()
        for spare in self._leaving:
            spare.kill()
            spare.wait()
        self._leaving = []
