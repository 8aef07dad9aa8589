"""The Scorer actor: a thin shell over grade.py and metrics.py.

score.request {attempt_id, task_id, code, builder, lease_id}
  -> ask memory task.private (only the scorer may), grade in the sandbox,
     ask memory score.record {score, lease_id, code}: the verdict, which completes the attempt
     and its task in Memory's one transaction (and archives a pass's code);
     if Memory recorded it: tell trainer trainer.observe, publish a "score" event;
     reply {"score": ..., "recorded": bool, "task_status": ...}.
The score id is derived from the attempt id, so a retried request records nothing twice. A
verdict Memory does not record (its task already over) is not told to the trainer either.

Several requests are graded at once (GRADERS threads over the sandbox's Pool; the handler
returns a Future and the runtime replies when it resolves, so replies may go out of order):
with N builders one Scorer would otherwise hold every builder in a queue behind one sandbox
run at a time. Efficiency races run at once too: a race reads the candidate's CPU time from
outside its process (docs/sandbox.md), which concurrent grades do not inflate the way they
inflate wall time, so they need no lock (tests/test_scorer_load.py ranks a 20x gap under load).
The reference's figures are timed once per task and kept (references.py); the trend's recent
totals are kept here too (trends.py).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Mapping

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, RemoteError, handles
from sandbox import Limits, isolation_level

from .grade import grade
from .metrics import weights_from
from .references import ReferenceBook
from .trends import TrendBook

log = logging.getLogger("cogloop.scorer")
# Grades in flight at once. Each is mostly waiting (sandbox runs, Memory round trips), so a
# few more than the cores; the sandbox Pool (2 x cores servers) runs their tests in parallel.
GRADERS = max(2, min(4, 2 * (os.cpu_count() or 1)))


def score_record(body: Mapping[str, Any], task: Mapping[str, Any], graded: Mapping[str, Any],
                 trend: float) -> dict[str, Any]:
    """The score dict of docs/contracts.md for one graded attempt."""
    return {"id": f"score-{body['attempt_id']}", "attempt_id": body["attempt_id"], "task_id": body["task_id"],
            "skill": task["skill"], "difficulty": task["difficulty"],
            **{k: graded[k] for k in ("correctness", "robustness", "efficiency", "elegance", "total", "passed")},
            "details": {**graded["details"], "builder": body.get("builder", ""), "trend": trend,
                        "source": task.get("source", "")}}


def event_body(score: Mapping[str, Any]) -> dict[str, Any]:
    return {k: score[k] for k in ("attempt_id", "task_id", "skill", "difficulty", "total", "passed",
                                  "correctness", "robustness", "efficiency", "elegance")}


class ScorerActor(BusActor):
    @classmethod
    def prepare(cls, config: Any, home: Path) -> dict[str, Any]:
        """A warm spare starts its sandbox fork server before it is adopted."""
        return {"sandbox": isolation_level()}

    def __init__(self, ctx: ActorContext):
        super().__init__(ctx)
        self.weights = weights_from(ctx.config.scorer)
        self.window = ctx.config.scorer.trend_window
        self.limits = Limits.from_config(ctx.config.sandbox)
        self.trends = TrendBook(self.window, self._recent)
        self.references = ReferenceBook()
        self._graders = ThreadPoolExecutor(GRADERS, thread_name_prefix="grader")

    def on_start(self) -> None:
        super().on_start()
        # Start the sandbox's fork servers now, not on the first score (a builder would wait),
        # unless the warm spare this process was did already.
        self._graders.submit(lambda: self.ctx.prepared.get("sandbox") or _warm_sandbox())

    def on_stop(self) -> None:
        super().on_stop()
        self._graders.shutdown(wait=True, cancel_futures=True)

    def _recent(self, skill: str) -> list[dict[str, Any]]:
        try:
            return self.bus.ask("memory", "scores.recent", {"skill": skill, "limit": self.window})["scores"]
        except RemoteError as exc:  # the trend is a nicety; the score is not
            log.warning("scores.recent failed: %s", exc)
            return []

    @handles("score.request")
    def on_score_request(self, body: dict[str, Any], env: dict[str, Any]) -> Future:
        return self._graders.submit(self._score, body)

    def _score(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            task = self.bus.ask("memory", "task.private", {"id": body["task_id"]})["task"]
        except RemoteError as exc:
            raise ActorError(exc.code, f"task {body['task_id']}: {exc.message}") from None
        if not task:
            raise ActorError(P.BAD_REQUEST, f"no task {body['task_id']!r}")
        graded = grade(task, body["code"], weights=self.weights, limits=self.limits, references=self.references)
        trend = self.trends.trend(task["skill"], body["attempt_id"], graded["total"])
        score = score_record(body, task, graded, trend)
        verdict = {"score": score, "code": body["code"]}
        if body.get("lease_id"):
            verdict["lease_id"] = body["lease_id"]
        try:
            recorded = self.bus.ask("memory", "score.record", verdict)
        except RemoteError as exc:
            raise ActorError(exc.code, f"attempt {body['attempt_id']}: verdict not recorded: {exc.message}") from None
        if recorded.get("recorded", True):
            self.trends.add(task["skill"], body["attempt_id"], graded["total"])
            self.bus.tell("trainer", "trainer.observe", {"score": score})
            self.bus.publish("score", event_body(score))
        else:
            log.info("verdict on %s not recorded: %s", body["attempt_id"], recorded.get("reason"))
        return {"score": score, "recorded": bool(recorded.get("recorded", True)),
                "task_status": str(recorded.get("task_status", ""))}


def _warm_sandbox() -> None:
    """Start one fork server of the process-wide pool (the rest start when runs overlap)."""
    try:
        isolation_level()
    except Exception as exc:  # the first grade starts it (and reports the failure) instead
        log.warning("sandbox warm-up failed: %s", exc)
