"""Which status a finished run gets: a pure function of what the supervisor observed.

The order is the documented precedence (docs/sandbox.md): the supervisor's own kills first
(wall clock, output cap), then memory, then CPU, then other signals, then the exit code.
"""

from __future__ import annotations

import signal


def classify(
    *,
    returncode: int | None,
    killed_for: str | None,
    memory_hit: bool,
    cpu_s: float,
    cpu_limit_s: float,
) -> str:
    """`returncode` as subprocess gives it (negative: killed by that signal; None: unknown).

    `killed_for` is "timeout" or "output_limit" when the supervisor killed the tree itself;
    `memory_hit` is a cgroup OOM kill or a MemoryError that reached the harness.
    """
    if killed_for in ("timeout", "output_limit"):
        return killed_for
    if memory_hit:
        return "memory_limit"
    if returncode is None:
        return "killed"
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_s >= cpu_limit_s):
            return "cpu_limit"
        return "killed"
    return "ok" if returncode == 0 else "error"
