"""What the sandbox tests share: the sandbox's uids, a secret to look for, hostile code written
indented, and the check that no run outlived its call."""

from __future__ import annotations

import textwrap

import psutil

from sandbox._tree import AHEAD_NAME

SANDBOX_UIDS = range(200_000, 400_000)  # candidates, then judges (sandbox._tree)
SECRET = "sk-cogloop-test-secret-4f1d"


def dedented(src: str) -> str:
    return textwrap.dedent(src).strip() + "\n"


def leftovers(server_pids: list[int]) -> list[psutil.Process]:
    """Processes of a sandbox uid inside our fork servers' cgroups: any is a run not killed.

    (Scoped to our servers: other users of the sandbox may be running on this host. A
    candidate process forked ahead for the next run, still idle, is not a leftover.)
    """
    slots = {f"cogloop-sandbox-{pid}" for pid in server_pids}
    out = []
    for p in psutil.process_iter(["uids"]):
        uids = p.info["uids"]
        if not uids or not (uids.real in SANDBOX_UIDS or uids.effective in SANDBOX_UIDS):
            continue
        try:
            if p.name() == AHEAD_NAME.decode():
                continue
        except psutil.Error:
            continue
        try:
            with open(f"/proc/{p.pid}/cgroup") as f:
                groups = f.read()
        except OSError:
            continue
        if any(slot in groups for slot in slots):
            out.append(p)
    return out
