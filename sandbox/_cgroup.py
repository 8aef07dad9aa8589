"""cgroup v1 groups (memory, pids) for runs: a memory cap for the whole tree, a process cap
that holds for root too (RLIMIT_NPROC does not), the peak memory, OOM kills, and a list of
every process of the run to kill at the end."""

from __future__ import annotations

import os
import signal
import time

CONTROLLERS = ("memory", "pids")
MOUNT = "/sys/fs/cgroup"


def _own_path(controller: str) -> str | None:
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if controller in names.split(","):
                    return os.path.join(MOUNT, controller) + path.rstrip("/")
    except OSError:
        pass
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Slot:
    """The fork server's own groups (memory, pids). The server moves itself in once at start,
    so every run it forks is born inside them: moving a process between cgroup v1 groups
    costs an RCU grace period (10-20 ms measured here), which a run must not pay.

    One run at a time per slot (the server serialises its runs); limits are set before each.
    """

    def __init__(self, tag: str) -> None:
        self.paths: dict[str, str] = {}
        for controller in CONTROLLERS:
            own = _own_path(controller)
            if own is None or not os.path.isdir(own):
                continue
            path = os.path.join(own, tag)
            try:
                os.makedirs(path, exist_ok=True)
                _write(path + "/cgroup.procs", str(os.getpid()))
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
                continue
            self.paths[controller] = path

    @property
    def available(self) -> set[str]:
        return set(self.paths)

    def _oom_kills(self) -> int:
        path = self.paths.get("memory")
        for line in _read(path + "/memory.oom_control").splitlines() if path else []:
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def begin(self, *, mem_bytes: int, extra_pids: int, nproc: int) -> dict[str, int]:
        """Set this run's caps; returns the marks `end` compares against."""
        mark = {"oom": self._oom_kills(), "usage": 0}
        mem = self.paths.get("memory")
        if mem:
            mark["usage"] = int(_read(mem + "/memory.usage_in_bytes") or 0)
            limit = str(mark["usage"] + mem_bytes)
            for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.limit_in_bytes"):
                try:  # order matters: memsw must stay >= the limit, whichever way it moves
                    _write(mem + "/" + name, limit)
                except OSError:
                    pass
            try:
                _write(mem + "/memory.max_usage_in_bytes", "0")
            except OSError:
                pass
        pids = self.paths.get("pids")
        if pids:
            _write(pids + "/pids.max", str(nproc + extra_pids))
        return mark

    def end(self, mark: dict[str, int]) -> tuple[bool, float | None]:
        """(OOM kill happened during the run, peak memory of the run in MB)."""
        mem = self.paths.get("memory")
        if not mem:
            return False, None
        peak = int(_read(mem + "/memory.max_usage_in_bytes") or 0) - mark["usage"]
        return self._oom_kills() > mark["oom"], round(max(peak, 0) / 2**20, 2)

    def relax(self) -> None:
        """Between runs: no pids cap, so the server can always fork the next supervisor."""
        if "pids" in self.paths:
            try:
                _write(self.paths["pids"] + "/pids.max", "max")
            except OSError:
                pass

    def pids(self) -> list[int]:
        path = next(iter(self.paths.values()), None)
        return [int(p) for p in _read(path + "/cgroup.procs").split()] if path else []

    def kill_others(self, keep: set[int], deadline_s: float = 2.0) -> bool:
        """SIGKILL every process in the slot but `keep`; True once none is left."""
        end = time.monotonic() + deadline_s
        while True:
            left = [p for p in self.pids() if p not in keep]
            if not left:
                return True
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if time.monotonic() > end:
                return False
            time.sleep(0.002)

    def remove(self) -> None:
        """At the server's exit: step back into the parent group, then remove ours."""
        for path in self.paths.values():
            try:
                _write(os.path.dirname(path) + "/cgroup.procs", str(os.getpid()))
                os.rmdir(path)
            except OSError:
                pass


def sweep_stale(prefix: str = "cogloop-sandbox-") -> None:
    """Remove groups left by fork servers that were killed (their pid is gone).

    Call before entering a slot: it looks next to the caller's own group.
    """
    for controller in CONTROLLERS:
        own = _own_path(controller)
        if not own or not os.path.isdir(own):
            continue
        for name in os.listdir(own):
            if name.startswith(prefix) and not os.path.exists(f"/proc/{name[len(prefix):]}"):
                try:
                    os.rmdir(os.path.join(own, name))
                except OSError:
                    pass
