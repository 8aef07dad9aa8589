"""Running an exam: every task under every arm, graded like the Scorer grades, recorded apart.

The imperative half of the exam, with its I/O injected so tests drive it with a scripted
LLM and an in-memory sink:

    llm(messages, **settings) -> LLMResult          the pinned endpoint (one model per run)
    run_tests(code, tests, entry_point) -> dict      the sandbox, for the visible tests
    grade(private_task, code) -> score dict          actors/scorer/grade.py with the configured weights
    memory: Recall(lessons, similar, search_stats)   what training stored, read only
    sink: start(run) / result(row) / finish(run_id, status, note) / cached(arm_key) -> {task_id: row}

Each task goes through the Builder's own pipeline (actors/builder/pipeline.py) under the arm's
strategy (an arm whose search is `auto` runs, per task, the search the training record says
pays best there: actors/builder/search.py, exploiting, from the record as the run starts);
nothing is written to the training record (no lease, attempt, score, lesson outcome,
archive or Trainer observation) and there is no reflection (it would only write lessons).
Tasks run one after another with every arm on each, so an interrupted run still compares the
arms on the same tasks. Memory-independent arms reuse results cached under the same exam,
model and settings. The model answering must stay the one the run started with.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

from actors.builder.loop import AttemptOutcome
from actors.builder.pipeline import SimilarAsk, recall, solve, with_settings
from actors.builder.search import Stats, choose, searches, stats_from_rows
from actors.builder.strategy import Strategy, relevance
from actors.exam.arms import Arm, cache_key
from actors.llm import LLMError, LLMUnavailable
from store.taskspec import public_view

log = logging.getLogger("cogloop.exam")
MAX_WAITS = 5  # the endpoint down this many times in a row on one task: the run fails
ERROR_WAIT_S = 2.0  # after an endpoint error that names no wait


class ExamError(Exception):
    """The run cannot go on (the endpoint's model changed, the endpoint stays down)."""


# lessons(skill, limit, exam task id): the lessons a builder would see for this task (trial ones
# by their share hash on the task id, proven always, retired never: store/lessons.py)
ExamLessons = Callable[[str, int, str], Callable[[], Sequence[Mapping[str, Any]]]]


@dataclass
class Recall:
    lessons: ExamLessons
    similar: SimilarAsk
    # search_stats(model) -> store.search_stats rows of the training record (that model's, or all)
    search_stats: Callable[[str | None], Sequence[Mapping[str, Any]]] = lambda model: []


class Sink(Protocol):
    def start(self, run: dict[str, Any]) -> None: ...
    def result(self, row: dict[str, Any]) -> None: ...
    def finish(self, run_id: str, status: str, note: str) -> None: ...
    def cached(self, arm_key: str) -> Mapping[str, Mapping[str, Any]]: ...


def public_task(exam_task: Mapping[str, Any]) -> dict[str, Any]:
    """What the Builder sees of an exam task (as a lease shows it): no hidden tests, no reference."""
    return {**public_view(dict(exam_task["task"])), "id": exam_task["id"]}


class PinnedModel:
    """The LLM callable of one run: the first answer's model is the run's; another one later
    stops the run (a server that swapped models mid-run would mix two models' figures)."""

    def __init__(self, llm: Callable[..., Any], model: str = "") -> None:
        self.llm, self.model = llm, model
        self.calls = 0

    def __call__(self, messages: list[dict[str, str]], **kw: Any) -> Any:
        result = self.llm(messages, **kw)
        self.calls += 1
        answered = str(getattr(result, "model", "") or "")
        if answered and not self.model:
            self.model = answered
        elif answered and answered != self.model:
            raise ExamError(f"the endpoint answered with model {answered!r}; this run is pinned to {self.model!r}")
        return result


class ExamRunner:
    def __init__(self, tasks: Sequence[Mapping[str, Any]], arms: Sequence[Arm], *, exam_id: str,
                 llm: Callable[..., Any], run_tests: Callable[..., Mapping[str, Any]],
                 grade: Callable[[Mapping[str, Any], str], Mapping[str, Any]], memory: Recall, sink: Sink,
                 model_settings: Mapping[str, Any], budget: int = 3000, use_cache: bool = True,
                 search_cost: float = 0.01,
                 endpoint: str = "", clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, stopping: threading.Event | None = None,
                 progress: Callable[[int, int, Mapping[str, Any]], None] | None = None) -> None:
        self.tasks, self.arms, self.exam_id = list(tasks), list(arms), exam_id
        self.llm = PinnedModel(llm)  # pinned to the model the first answer names (servers may alias the asked name)
        self.run_tests, self.grade, self.memory, self.sink = run_tests, grade, memory, sink
        self.settings, self.budget, self.use_cache, self.endpoint = dict(model_settings), budget, use_cache, endpoint
        self.clock, self.sleep, self.stopping = clock, sleep, stopping
        self.progress = progress or (lambda done, total, row: None)
        self.keys = {a.name: cache_key(exam_id, a, self.settings) for a in self.arms}
        self.search_cost = search_cost
        self.stats: Stats = {}  # the training record's search statistics, read as the run starts

    def run(self, run: dict[str, Any]) -> str:
        """Run every task under every arm; returns the run's final status (done, stopped, failed)."""
        self.sink.start(run)
        if any(a.search == "auto" for a in self.arms):
            model = str(self.settings.get("model") or "") or None
            self.stats = stats_from_rows(self.memory.search_stats(model) or (
                self.memory.search_stats(None) if model else []))  # a model named otherwise in training
        # one cache per behaviour: two arms that behave alike (nomemory with no search = plain) share it
        cache = {self.keys[a.name]: dict(self.sink.cached(self.keys[a.name])) if self.use_cache else {}
                 for a in self.arms if a.cacheable}
        total, done = len(self.tasks) * len(self.arms), 0
        status, note = "done", ""
        try:
            for et in self.tasks:
                for arm in sorted(self.arms, key=lambda a: not a.cacheable):  # memory arms last: see _attempt
                    if self.stopping is not None and self.stopping.is_set():
                        raise _Stop()
                    mine = cache.get(self.keys[arm.name]) if arm.cacheable else None
                    hit = mine.get(et["id"]) if mine is not None else None
                    row = self._from_cache(run["id"], arm, hit) if hit else self._attempt(run["id"], et, arm, cache)
                    self.sink.result(row)
                    if mine is not None and not hit:
                        mine[et["id"]] = row
                    done += 1
                    self.progress(done, total, row)
        except _Stop:
            status, note = "stopped", f"stopped after {done} of {total} results"
        except ExamError as exc:
            status, note = "failed", str(exc)
        self.sink.finish(run["id"], status, note)
        return status

    def _from_cache(self, run_id: str, arm: Arm, hit: Mapping[str, Any]) -> dict[str, Any]:
        keep = {k: v for k, v in hit.items() if k not in ("run_id", "arm", "created_at", "cached_from")}
        return {**keep, "run_id": run_id, "arm": arm.name, "cached_from": hit.get("cached_from") or hit["run_id"]}

    def _attempt(self, run_id: str, et: Mapping[str, Any], arm: Arm,
                 cache: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        waits = 0
        while True:
            try:
                return self._once(run_id, et, arm, cache)
            except LLMError as exc:  # an endpoint error, before any answer: no result, wait and try again
                waits += 1
                if waits > MAX_WAITS:
                    raise ExamError(f"the endpoint stayed unavailable ({exc})") from None
                wait = max(0.5, exc.retry_in if isinstance(exc, LLMUnavailable) else ERROR_WAIT_S, exc.retry_after or 0.0)
                log.warning("LLM endpoint: %s; waiting %.1fs", exc, wait)
                self.sleep(wait)

    def _once(self, run_id: str, et: Mapping[str, Any], arm: Arm,
              cache: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        task = public_task(et)
        start = self.clock()
        if arm.pass_at_k:
            outcomes, graded = [], []
            for i in range(arm.pass_at_k):
                one = arm.strategy.replace(samples=1)
                _, o = solve(task, one, llm=with_settings(self.llm, arm.strategy.sample_settings(i)),
                             run_tests=self.run_tests, budget=self.budget, clock=self.clock)
                outcomes.append(o)
                graded.append(self._grade(et, o))
            best = max(range(len(outcomes)), key=lambda i: (bool(graded[i].get("passed")), -i))
            outcome, score = outcomes[best], graded[best]
            lessons, example = [], None
            tokens = (sum(o.tokens_in for o in outcomes), sum(o.tokens_out for o in outcomes))
            latency = sum(o.llm_latency_s for o in outcomes)
        else:
            strategy = self._strategy(arm, task)
            lessons, example = recall(task, strategy, similar=self.memory.similar,
                                      lessons=lambda skill, limit: self.memory.lessons(skill, limit, task["id"]))
            if strategy.uses_memory and not lessons and example is None:
                # memory had nothing for this task: the prompt is the memory-off arm's, and so is
                # the answer (cached when that arm ran, e.g. nomemory earlier on this task)
                plain_key = cache_key(self.exam_id, Arm(arm.name, strategy.without_memory()), self.settings)
                hit = cache.get(plain_key, {}).get(et["id"])
                if hit:
                    return {**self._from_cache(run_id, arm, hit), "arm_key": self.keys[arm.name]}
            _, outcome = solve(task, strategy, llm=self.llm, run_tests=self.run_tests, lessons=lessons,
                               example=example, budget=self.budget, clock=self.clock)
            score = self._grade(et, outcome)
            tokens, latency = (outcome.tokens_in, outcome.tokens_out), outcome.llm_latency_s
        return {
            "run_id": run_id, "exam_task_id": et["id"], "arm": arm.name, "arm_key": self.keys[arm.name],
            "passed": bool(score.get("passed")), "correctness": float(score.get("correctness") or 0.0),
            "status": outcome.status, "category": outcome.category, "visible_passed": outcome.visible_passed,
            "visible_total": outcome.visible_total, "repair_rounds": outcome.repair_rounds,
            "samples": arm.pass_at_k or outcome.samples, "lessons": 0 if outcome.adapted else len(lessons),
            "example_task": example.get("task_id") if example else None,
            "example_relevance": relevance(task, example) if example else None,
            "tokens_in": tokens[0], "tokens_out": tokens[1], "llm_latency_s": round(latency, 4),
            "wall_s": round(self.clock() - start, 4), "endpoint": self.endpoint, "model": self.llm.model,
            "cached_from": None, "code": outcome.code, "error": (outcome.error or "")[:2000]}

    def _strategy(self, arm: Arm, task: Mapping[str, Any]) -> Strategy:
        """The arm's strategy, with an auto arm's search the record's best for this task."""
        if arm.search != "auto":
            return arm.strategy
        c = choose(self.stats, str(task.get("skill") or ""), int(task.get("difficulty") or 1),
                   cost_weight=self.search_cost, exploit=True)
        return searches(arm.strategy)[c.search]

    def _grade(self, et: Mapping[str, Any], outcome: AttemptOutcome) -> Mapping[str, Any]:
        if not outcome.code.strip():
            return {"passed": False, "correctness": 0.0}
        return self.grade(et["task"], outcome.code)


class _Stop(Exception):
    pass
