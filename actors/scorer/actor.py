"""The Scorer actor: a thin shell over grade.py and metrics.py.

score.request {attempt_id, task_id, code, builder}
  -> ask memory task.private (only the scorer may), grade in the sandbox,
     ask memory score.record, tell trainer trainer.observe, publish a "score" event,
     reply {"score": ...}.
The score id is derived from the attempt id, so a retried request records nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, RemoteError, handles
from sandbox import Limits

from .grade import grade
from .metrics import slope, weights_from

log = logging.getLogger("cogloop.scorer")


def score_record(body: Mapping[str, Any], task: Mapping[str, Any], graded: Mapping[str, Any],
                 trend: float) -> dict[str, Any]:
    """The score dict of docs/contracts.md for one graded attempt."""
    return {"id": f"score-{body['attempt_id']}", "attempt_id": body["attempt_id"], "task_id": body["task_id"],
            "skill": task["skill"], "difficulty": task["difficulty"],
            **{k: graded[k] for k in ("correctness", "robustness", "efficiency", "elegance", "total", "passed")},
            "details": {**graded["details"], "builder": body.get("builder", ""), "trend": trend,
                        "source": task.get("source", "")}}


def trend_with(previous_totals_newest_first: list[float], total: float, window: int) -> float:
    """Slope of the skill's totals over the window, this attempt included."""
    series = list(reversed(previous_totals_newest_first[: max(0, window - 1)])) + [total]
    return round(slope(series), 5)


def event_body(score: Mapping[str, Any]) -> dict[str, Any]:
    return {k: score[k] for k in ("attempt_id", "task_id", "skill", "difficulty", "total", "passed",
                                  "correctness", "robustness", "efficiency", "elegance")}


class ScorerActor(BusActor):
    def __init__(self, ctx: ActorContext):
        super().__init__(ctx)
        self.weights = weights_from(ctx.config.scorer)
        self.window = ctx.config.scorer.trend_window
        self.limits = Limits.from_config(ctx.config.sandbox)

    @handles("score.request")
    def on_score_request(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        try:
            task = self.bus.ask("memory", "task.private", {"id": body["task_id"]})["task"]
        except RemoteError as exc:
            raise ActorError(exc.code, f"task {body['task_id']}: {exc.message}") from None
        if not task:
            raise ActorError(P.BAD_REQUEST, f"no task {body['task_id']!r}")
        graded = grade(task, body["code"], weights=self.weights, limits=self.limits)
        try:
            recent = self.bus.ask("memory", "scores.recent", {"skill": task["skill"], "limit": self.window})["scores"]
        except RemoteError as exc:  # the trend is a nicety; the score is not
            log.warning("scores.recent failed: %s", exc)
            recent = []
        previous = [float(s.get("total") or 0.0) for s in recent if s.get("attempt_id") != body["attempt_id"]]
        score = score_record(body, task, graded, trend_with(previous, graded["total"], self.window))
        self.bus.ask("memory", "score.record", {"score": score})
        self.bus.tell("trainer", "trainer.observe", {"score": score})
        self.bus.publish("score", event_body(score))
        return {"score": score}
