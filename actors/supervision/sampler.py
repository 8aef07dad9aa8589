"""psutil sampling of each child's RSS and CPU, and a probe of the LLM endpoint, in a
background thread, so `status` answers from memory at once instead of touching /proc or
waiting on HTTP on every call."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import psutil

from actors.llm import probe_models
from actors.supervision.llmstate import busy_tolerant


PROBE_TIMEOUT_S = 2.0  # a local server that takes longer is busy (see llmstate.busy_tolerant) or down


class Sampler(threading.Thread):
    def __init__(self, interval_s: float = 1.0, probe_s: float = 1.0,
                 probe: Callable[[str, float], tuple[str, list[str]]] | None = None):
        super().__init__(name="sampler", daemon=True)
        self.interval_s = interval_s
        # The LLM endpoint, probed every probe_s (GET /v1/models, timeout PROBE_TIMEOUT_S): the URL is
        # set by the main loop; `probed` is (url, (state, models)) so a stale answer for an old
        # URL is never shown as the new one's.
        self.llm_url: str | None = None
        self.probe_s = probe_s
        self.probed: tuple[str, tuple[str, list[str]]] | None = None
        self._probe = probe or probe_models
        self._next_probe = 0.0
        self._last_ok: tuple[str, float, list[str]] | None = None  # (url, when, models) of the last good probe
        self.pids: dict[str, int] = {}  # written by the main loop (whole-dict swaps)
        self.samples: dict[int, tuple[float, float]] = {}  # pid -> (rss_mb, cpu_percent)
        self.isolation: dict[str, Any] | None = None
        self._procs: dict[int, psutil.Process] = {}
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        self.probe_llm()  # first: `status` should say why the LLM is unusable without delay
        self.isolation = probe_isolation()
        while not self._halt.wait(self.interval_s):
            self.sample_once()
            self.probe_llm()

    def probe_llm(self) -> None:
        url = self.llm_url
        if not url or time.monotonic() < self._next_probe:
            return
        raw = self._probe(url, PROBE_TIMEOUT_S)
        now = time.monotonic()
        if raw[0] == "ok":
            self._last_ok = (url, now, raw[1])
        last = self._last_ok[1:] if self._last_ok is not None and self._last_ok[0] == url else None
        self.probed = (url, busy_tolerant(raw, last, now))  # type: ignore[arg-type]
        self._next_probe = now + self.probe_s

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
