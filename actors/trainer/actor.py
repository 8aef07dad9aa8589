"""The Trainer actor: a thin shell over core.py (policy + task bank).

trainer.observe {score}  -> update the profile, top up the queue, profile.snapshot
trainer.status {}        -> {"profile": abilities, trends, gaps, regressions, difficulties}
work()                   -> resume the last snapshot once, then top up every TOPUP_EVERY_S

The queue is topped up to trainer.low_water_per_builder x daemon.builders trainer tasks
(memory's queue already leases user tasks first). With trainer.llm_tasks on, some top-up
slots go to LLM-proposed tasks that passed validation by execution.
"""

from __future__ import annotations

import logging
from typing import Any

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, handles

from .core import TrainerCore
from .policy import PolicyParams

log = logging.getLogger("cogloop.trainer")

TOPUP_EVERY_S = 5.0
ADD_BATCH = 20  # tasks per task.add_many: keeps each message far below the size limit
LLM_SHARE = 4  # with llm_tasks on, one top-up slot in this many asks the model first


class TrainerActor(BusActor):
    def __init__(self, ctx: ActorContext):
        super().__init__(ctx)
        cfg = ctx.config
        self.core = TrainerCore(PolicyParams.from_config(cfg.trainer), seed=cfg.trainer.seed)
        self.builders = cfg.daemon.builders
        self.low_water = cfg.trainer.low_water_per_builder
        self.resumed = False
        self.proposer = self._make_proposer() if cfg.trainer.llm_tasks else None
        self._slots = 0

    # --- bus ---------------------------------------------------------------------------
    @handles("trainer.observe")
    def on_observe(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self._resume()
        score = body["score"]
        try:
            events = self.core.observe(score)
        except ValueError as exc:
            raise ActorError(P.BAD_REQUEST, str(exc)) from None
        for ev in events:
            log.warning("regression: %s", ev)
            self.bus.tell("memory", "event.log", {"kind": f"trainer.{ev['kind']}", "body": ev})
            self.bus.publish(f"trainer.{ev['kind']}", ev)
        self.top_up()
        self.bus.ask("memory", "profile.snapshot", {"profile": self.core.snapshot()})
        return {}

    @handles("trainer.status")
    def on_status(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self._resume()
        status = self.core.status()
        if self.proposer:
            status["llm_tasks"] = self.proposer.stats()
        return {"profile": status}

    def work(self) -> float | None:
        self._resume()
        if self.top_up():
            self.bus.ask("memory", "profile.snapshot", {"profile": self.core.snapshot()})
        return TOPUP_EVERY_S

    # --- steps -------------------------------------------------------------------------
    def _resume(self) -> None:
        """Continue from the last snapshot (once); a missing or unusable one starts fresh."""
        if self.resumed:
            return
        latest = self.bus.ask("memory", "profile.latest", {})["profile"]
        if latest and not self.core.load(latest):
            log.warning("ignoring the stored profile: %s", "; ".join(self.core.rejected_profile))
        self.resumed = True

    def top_up(self) -> int:
        """Add trainer tasks up to the low-water mark; returns how many were added."""
        stats = self.bus.ask("memory", "queue.stats", {"source": "trainer"})["stats"]
        tasks = self.core.topup(stats, self.builders, self.low_water)
        tasks = [self._maybe_llm(t) for t in tasks]
        added = 0
        for i in range(0, len(tasks), ADD_BATCH):
            reply = self.bus.ask("memory", "task.add_many", {"tasks": tasks[i:i + ADD_BATCH]})
            added += len(reply.get("ids") or [])
            for err in reply.get("errors") or []:
                log.error("task.add_many refused a task: %s", err)
        return added

    def _maybe_llm(self, task: dict[str, Any]) -> dict[str, Any]:
        """Every LLM_SHARE-th slot, an LLM-proposed task of the same skill and level, if valid."""
        if self.proposer is None:
            return task
        self._slots += 1
        if self._slots % LLM_SHARE:
            return task
        proposed = self.proposer.propose(task["skill"], task["difficulty"])
        if proposed is None:
            log.info("LLM task rejected: %s", self.proposer.last_rejection)
            self.bus.tell("memory", "event.log", {"kind": "trainer.llm_task_rejected",
                                                  "body": {"reason": self.proposer.last_rejection}})
            return task
        return proposed

    def _make_proposer(self) -> Any:
        """The LLM task proposer (only with trainer.llm_tasks on: the LLM client and the sandbox
        are imported then, not by every trainer)."""
        from actors.llm import BusSource, LLMClient
        from sandbox import Limits, run_tests

        from .llm_tasks import Proposer
        client = LLMClient(self.ctx.config.llm, source=BusSource(self.bus.ask, self.bus.tell))
        limits = Limits.from_config(self.ctx.config.sandbox)

        def run(code: str, tests: str, entry_point: str) -> dict[str, Any]:
            return run_tests(code, tests, entry_point=entry_point, limits=limits).to_dict()
        return Proposer(lambda prompt: client.query(prompt).text, run)
