"""BuilderActor: the thin shell that runs BuilderWorker inside the actor runtime.

The runtime calls `work()` repeatedly while not paused; each call is one whole task (or a wait
while the LLM is down, or an idle poll). The LLM endpoint is the configured URL, else the
embedded model's `HOME/run/llm.json`. LLM state changes are published as `builder.state`
events, and `builder.status` answers the same dict for `cogloop status`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from actors.builder.worker import BuilderWorker
from actors.llm import LLMClient
from actors.runtime import BusActor, handles


class BuilderActor(BusActor):
    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        for name in ("httpx", "httpx2"):  # one INFO line per HTTP request drowns the builder's log
            logging.getLogger(name).setLevel(logging.WARNING)
        cfg = ctx.config
        home = getattr(ctx.home, "root", ctx.home)
        llm = LLMClient(cfg.llm, run_dir=Path(home) / "run")
        self._limits = None
        self.worker = BuilderWorker(ctx.name, cfg, ctx.bus.ask, llm, self._run_tests,
                                    on_state=lambda s: ctx.bus.publish("builder.state", s),
                                    stopping=ctx.stopping)

    def _run_tests(self, code: str, tests: str, entry_point: str) -> dict:
        from sandbox import Limits, run_tests  # imported late: the sandbox is only needed once a task runs

        if self._limits is None:
            self._limits = Limits.from_config(self.worker.cfg.sandbox)
        return run_tests(code, tests, entry_point=entry_point, limits=self._limits).to_dict()

    def work(self) -> float | None:
        return self.worker.step()

    @handles("builder.status")
    def status(self, body: dict, env: dict) -> dict:
        return {"status": self.worker.status()}
