"""The Trainer actor: a thin shell over core.py (policy + task bank).

trainer.observe {score}  -> update the profile, top up the queue, profile.snapshot
trainer.status {}        -> {"profile": abilities, trends, gaps, regressions, difficulties}
work()                   -> resume the last snapshot once, then top up every TOPUP_EVERY_S

The runtime runs work() after every request; a top-up less than TOPUP_EVERY_S old (the one the
observe just did) is not done again, so each score costs one count of the queue, and that count
is of queued and leased tasks only (`open`), a cost that does not grow with the history.

The queue is topped up to trainer.low_water_per_builder x daemon.builders trainer tasks
(memory's queue already leases user tasks first). With trainer.llm_tasks on, some top-up
slots go to LLM-proposed tasks that passed validation by execution.

The exam (actors/exam): no task the exam guards is ever set (`exam.guard`: its reserved
generators and prompts, read again every top-up beat), and with `trainer.exam_every` = N the
exam runs after every N scored training attempts, as a `cogloop exam run` child process
(output in HOME/logs/exam.log; one at a time; it dies with the Trainer).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, handles

from actors.exam.guard import ExamGuard
from actors.exam.schedule import exam_due

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
        self._topped_up = -TOPUP_EVERY_S  # monotonic time of the last top-up
        self.guard = ExamGuard()
        self._exam_runs: list[dict[str, Any]] = []
        self._exam_proc: subprocess.Popen | None = None

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
        self._refresh_guard()  # every round, as the exam's guard may have grown since the last
        self._maybe_exam()
        since = time.monotonic() - self._topped_up
        if since < TOPUP_EVERY_S:  # the observe just topped up
            return TOPUP_EVERY_S - since
        if self.top_up():
            self.bus.ask("memory", "profile.snapshot", {"profile": self.core.snapshot()})
        return TOPUP_EVERY_S

    def on_stop(self) -> None:
        if self._exam_proc is not None and self._exam_proc.poll() is None:
            self._exam_proc.send_signal(signal.SIGTERM)  # it stops after its current task (else dies with us)
        super().on_stop()

    # --- steps -------------------------------------------------------------------------
    def _resume(self) -> None:
        """Continue from the last snapshot (once); a missing or unusable one starts fresh."""
        if self.resumed:
            return
        latest = self.bus.ask("memory", "profile.latest", {})["profile"]
        if latest and not self.core.load(latest):
            log.warning("ignoring the stored profile: %s", "; ".join(self.core.rejected_profile))
        self._refresh_guard()
        self.resumed = True

    def _refresh_guard(self) -> None:
        """What the exam keeps from training, and its runs so far (for trainer.exam_every)."""
        try:
            reply = self.bus.ask("memory", "exam.guard", {})
        except ActorError as exc:  # keep the last guard: a Memory hiccup (or timeout) must not unguard the exam
            log.warning("exam.guard failed: %s", exc)
            return
        g = reply.get("guard") or {}
        self.guard = ExamGuard.from_lists(g.get("generators") or (), g.get("prompts") or ())
        self._exam_runs = list(reply.get("runs") or [])

    def _maybe_exam(self) -> None:
        """Start `cogloop exam run` when trainer.exam_every scored attempts have passed since the last run."""
        every = self.ctx.config.trainer.exam_every
        running = self._exam_proc is not None and self._exam_proc.poll() is None
        last = max((int(r.get("training_attempts") or 0) for r in self._exam_runs), default=None)
        if not exam_due(int(self.core.profile["observations"]), every, last, running):
            return
        home = str(self.ctx.home)  # a Path (its .root attribute is "/", not the home)
        argv = [sys.executable, "-m", "actors._pdeath", "--parent", str(os.getpid()), "--", sys.executable, "-m",
                "ops.cli", "exam", "run", "--home", str(home), "--arms", self.ctx.config.trainer.exam_arms, "--quiet"]
        with open(os.path.join(home, "logs", "exam.log"), "ab") as out:
            self._exam_proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        # counted as started now, so it is not due again before the next `every`
        self._exam_runs.append({"training_attempts": int(self.core.profile["observations"]), "status": "starting"})
        log.info("exam run started (pid %d) after %d training attempts", self._exam_proc.pid,
                 self.core.profile["observations"])
        self.bus.tell("memory", "event.log", {"kind": "trainer.exam_started",
                                              "body": {"pid": self._exam_proc.pid,
                                                       "training_attempts": self.core.profile["observations"]}})

    def top_up(self) -> int:
        """Add trainer tasks up to the low-water mark; returns how many were added."""
        self._topped_up = time.monotonic()
        stats = self.bus.ask("memory", "queue.stats", {"source": "trainer", "open": True})["stats"]
        tasks = self.core.topup(stats, self.builders, self.low_water, self.guard)
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
