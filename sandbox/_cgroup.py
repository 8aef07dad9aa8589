"""Per-run cgroup v1 groups (memory, pids): a memory cap for the whole tree, a process cap
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


class Cgroups:
    """The fork server's parent groups; `run()` makes one child group per run."""

    def __init__(self, tag: str) -> None:
        self.parents: dict[str, str] = {}
        for controller in CONTROLLERS:
            own = _own_path(controller)
            if own is None or not os.path.isdir(own):
                continue
            parent = os.path.join(own, tag)
            try:
                os.makedirs(parent, exist_ok=True)
                if controller == "memory" and os.path.exists(parent + "/memory.use_hierarchy"):
                    try:
                        _write(parent + "/memory.use_hierarchy", "1")
                    except OSError:
                        pass
            except OSError:
                continue
            self.parents[controller] = parent

    @property
    def available(self) -> set[str]:
        return set(self.parents)

    def run(self, name: str, *, mem_bytes: int, pids_max: int) -> "RunCgroup":
        return RunCgroup({c: os.path.join(p, name) for c, p in self.parents.items()}, mem_bytes, pids_max)

    def remove(self) -> None:
        for parent in self.parents.values():
            try:
                os.rmdir(parent)
            except OSError:
                pass


class RunCgroup:
    """One run's groups. Creation failures leave that controller out (the caller reports it)."""

    def __init__(self, paths: dict[str, str], mem_bytes: int, pids_max: int) -> None:
        self.paths: dict[str, str] = {}
        for controller, path in paths.items():
            try:
                os.mkdir(path)
                if controller == "memory":
                    _write(path + "/memory.limit_in_bytes", str(mem_bytes))
                    if os.path.exists(path + "/memory.memsw.limit_in_bytes"):
                        _write(path + "/memory.memsw.limit_in_bytes", str(mem_bytes))
                else:
                    _write(path + "/pids.max", str(pids_max))
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
                continue
            self.paths[controller] = path

    def add(self, pid: int) -> None:
        for path in self.paths.values():
            _write(path + "/cgroup.procs", str(pid))

    def oom_killed(self) -> bool:
        path = self.paths.get("memory")
        if not path:
            return False
        for line in _read(path + "/memory.oom_control").splitlines():
            if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                return True
        return False

    def peak_mb(self) -> float | None:
        path = self.paths.get("memory")
        raw = _read(path + "/memory.max_usage_in_bytes") if path else ""
        return round(int(raw) / 2**20, 2) if raw.strip() else None

    def pids(self) -> list[int]:
        path = next(iter(self.paths.values()), None)
        return [int(p) for p in _read(path + "/cgroup.procs").split()] if path else []

    def kill_all(self, deadline_s: float = 2.0) -> bool:
        """SIGKILL every process left in the groups and remove them; True when none is left."""
        end = time.monotonic() + deadline_s
        while True:
            left = self.pids()
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for path in list(self.paths.values()):
                try:
                    os.rmdir(path)
                    self.paths = {c: p for c, p in self.paths.items() if p != path}
                except OSError:
                    pass
            if not self.paths:
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.002)


def sweep_stale(prefix: str = "cogloop-sandbox-") -> None:
    """Remove parent groups left by fork servers that were killed (their pid is gone)."""
    for controller in CONTROLLERS:
        own = _own_path(controller)
        if not own or not os.path.isdir(own):
            continue
        for name in os.listdir(own):
            if not name.startswith(prefix) or os.path.exists(f"/proc/{name[len(prefix):]}"):
                continue
            group = os.path.join(own, name)
            for sub in os.listdir(group):
                if sub.startswith("run-") and os.path.isdir(os.path.join(group, sub)):
                    try:
                        os.rmdir(os.path.join(group, sub))
                    except OSError:
                        pass
            try:
                os.rmdir(group)
            except OSError:
                pass
