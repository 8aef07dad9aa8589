"""BuilderActor: the thin shell that runs BuilderWorker inside the actor runtime.

The runtime calls `work()` repeatedly while not paused; each call is one whole task (or a wait
while the LLM is down, or an idle poll). The supervisor assigns each LLM request an endpoint
(`BusSource`: `llm.assign`, `llm.done`), so builders share several servers least-busy-first
and `status` shows what their calls meet. LLM state changes are published as `builder.state`
events, and `builder.status` answers the same dict for `cogloop status`.

At start a side thread imports the LLM client and starts a sandbox fork server while the
actor already answers `builder.status`; the first lease waits for it, so a task is never
held through a second of imports (and the first attempt's LLM latency is not inflated). A warm
spare did that before it was adopted (`prepare`, actors/_spare.py): its first lease waits for
nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from actors.builder.worker import BuilderWorker
from actors.llm import BusSource, LLMClient
from actors.runtime import BusActor, handles

log = logging.getLogger("cogloop.builder")
WARM_POLL_S = 0.05


class BuilderActor(BusActor):
    @classmethod
    def prepare(cls, config: Any, home: Path) -> dict[str, Any]:
        """A warm spare does the warm-up before it is adopted (the LLM client imported, a sandbox
        fork server started), so its first lease does not wait for it."""
        started = time.monotonic()
        _warm_up(LLMClient(config.llm, run_dir=Path(getattr(home, "root", home)) / "run").warm)
        return {"warm_s": time.monotonic() - started}

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        for name in ("httpx", "httpx2"):  # one INFO line per HTTP request drowns the builder's log
            logging.getLogger(name).setLevel(logging.WARNING)
        cfg = ctx.config
        llm = LLMClient(cfg.llm, source=BusSource(ctx.bus.ask, ctx.bus.tell))
        self._limits = None
        self.worker = BuilderWorker(ctx.name, cfg, ctx.bus.ask, llm, self._run_tests,
                                    on_state=lambda s: ctx.bus.publish("builder.state", s),
                                    stopping=ctx.stopping, send_ask=ctx.bus.send_ask)
        self._warmed = threading.Event()

    def on_start(self) -> None:
        super().on_start()
        threading.Thread(target=self._warm, name="warm-up", daemon=True).start()

    def _warm(self) -> None:
        started = time.monotonic()
        ahead = self.ctx.prepared.get("warm_s")  # waits while the spare this was is still at it
        try:
            if ahead is None:
                _warm_up(self.worker.llm.warm)
        finally:
            self._warmed.set()
            took = f"before adoption, in {ahead:.2f}s" if ahead is not None else f"in {time.monotonic() - started:.2f}s"
            log.info("warm-up done %s (LLM client imported, sandbox started)", took)

    def _run_tests(self, code: str, tests: str, entry_point: str) -> dict:
        from sandbox import Limits, run_tests  # imported late: the sandbox is only needed once a task runs

        if self._limits is None:
            self._limits = Limits.from_config(self.worker.cfg.sandbox)
        return run_tests(code, tests, entry_point=entry_point, limits=self._limits).to_dict()

    def work(self) -> float | None:
        if not self._warmed.is_set():
            return WARM_POLL_S
        return self.worker.step()

    @handles("builder.status")
    def status(self, body: dict, env: dict) -> dict:
        return {"status": self.worker.status()}


def _warm_up(llm_warm: Any) -> None:
    """Import the LLM client (`llm_warm`) while a sandbox fork server starts beside it."""
    try:
        from sandbox import isolation_level

        sandbox = threading.Thread(target=_quietly, args=(isolation_level,), daemon=True)  # a process: beside the imports
        sandbox.start()
        llm_warm()
        sandbox.join()
    except Exception as exc:  # the first attempt meets (and reports) the same problem
        log.warning("warm-up failed: %s", exc)


def _quietly(fn: Any) -> None:
    try:
        fn()
    except Exception as exc:  # the first attempt meets (and reports) the same problem
        log.warning("sandbox warm-up failed: %s", exc)
