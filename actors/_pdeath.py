"""Die with the parent: PR_SET_PDEATHSIG, and a launcher that sets it before exec'ing a program.

The kernel sends the signal when the parent *thread* that forked us exits, so the
supervisor spawns children from its main thread only. The flag survives execve, which is
why external programs (the llama.cpp server) are started through this module:

    python -m actors._pdeath --parent PID -- PROGRAM ARGS...
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def set_pdeathsig(sig: int = signal.SIGKILL, parent_pid: int | None = None) -> bool:
    """Ask the kernel to send `sig` when our parent dies; exit at once if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux: the heartbeat watchdog still applies
        ok = False
    # The parent may have died between fork and prctl: then we were re-parented already.
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    return ok


def main(argv: list[str]) -> int:
    parent = None
    if len(argv) >= 2 and argv[0] == "--parent":
        parent = int(argv[1])
        argv = argv[2:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m actors._pdeath [--parent PID] -- PROGRAM ARGS...", file=sys.stderr)
        return 2
    set_pdeathsig(signal.SIGKILL, parent)
    os.execvp(argv[0], argv)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
