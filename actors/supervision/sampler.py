"""psutil sampling of each child's RSS and CPU in a background thread, so `status` answers from
memory at once instead of touching /proc on every call. (The LLM endpoints are probed by
`prober.py`.)"""

from __future__ import annotations

import threading
from typing import Any

import psutil


class Sampler(threading.Thread):
    def __init__(self, interval_s: float = 1.0):
        super().__init__(name="sampler", daemon=True)
        self.interval_s = interval_s
        self.pids: dict[str, int] = {}  # written by the main loop (whole-dict swaps)
        self.samples: dict[int, tuple[float, float]] = {}  # pid -> (rss_mb, cpu_percent)
        self.isolation: dict[str, Any] | None = None
        self._procs: dict[int, psutil.Process] = {}
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        self.isolation = probe_isolation()
        while not self._halt.wait(self.interval_s):
            self.sample_once()

    def sample_once(self) -> None:
        live = set(self.pids.values())
        for pid in list(self._procs):
            if pid not in live:
                del self._procs[pid]
        samples: dict[int, tuple[float, float]] = {}
        for pid in live:
            try:
                proc = self._procs.get(pid) or self._procs.setdefault(pid, psutil.Process(pid))
                # cpu_percent compares with this Process object's previous call.
                samples[pid] = (round(proc.memory_info().rss / 2**20, 1), proc.cpu_percent(None))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                self._procs.pop(pid, None)
        self.samples = samples


def probe_isolation() -> dict[str, Any]:
    """The sandbox's isolation level, or all false with a note when the sandbox says nothing."""
    try:
        from sandbox import isolation_level  # noqa: PLC0415 - provided by the sandbox part
        level = dict(isolation_level())
        return {k: bool(level.get(k, False)) for k in ("network", "filesystem", "pid", "uid")}
    except Exception as exc:
        return {"network": False, "filesystem": False, "pid": False, "uid": False,
                "note": f"sandbox.isolation_level unavailable: {type(exc).__name__}: {exc}"}
