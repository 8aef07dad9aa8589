"""The prompt-and-attempt part of the Builder, shared by the daemon's builders (worker.py) and the
exam (actors/exam), so both run exactly the same pipeline under a `Strategy`:

    lessons, example = recall(task, strategy, lessons=..., similar=...)
    prompt, outcome = solve(task, strategy, llm=..., run_tests=..., lessons=lessons, example=example)

`recall` asks only for the memory the strategy uses (the lesson ask is started before the
example ask and awaited after it, so over the bus the two travel together). `solve` builds the
prompt and runs `run_attempt` (extraction, visible tests, repair rounds); with `samples` > 1 it
draws candidates at the sampling temperature with fixed seeds and keeps the first that passes
the visible tests (else the one that passed most), counting every candidate's tokens and time.
Recording, scoring and reflecting stay with the caller.

Memory as one more source of candidates: with `samples` > 1 and lessons or an example in the
prompt, candidates alternate between the prompt with memory (first) and the same prompt
without it, each prompt's first candidate at the configured settings (the model's best guess).
On the embedded model an example of the same generator was copied constant and all (`n * 4`
shown for a task asking `n * 8`) by every candidate drawn from it, while the memory-free
greedy answer passed; alternating keeps both, and the visible tests choose.

Memory as the first candidate: with `adapt`, the example's code adapted to this task
(adapt.py: what differs between the two tasks' texts, substituted in the code) is tested on the
visible tests before the model is asked; when it passes it is the attempt, at no tokens, and the
model is not called (`settings["adapted_from"]` names the archived task). The attempt then
showed no lessons to the model, so none are recorded as shown.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Mapping, Sequence

from actors.builder.adapt import adaptations
from actors.builder.loop import AttemptOutcome, LLMCall, RunTests, run_attempt
from actors.builder.prompt import Prompt, build_prompt
from actors.builder.strategy import Strategy, keep_example
from actors.llm import LLMError

# lessons(skill, limit) starts the ask and returns its wait; similar(skill, difficulty, task_id,
# text) returns the archived solution whose task is most like `text` (the task's title, prompt
# and entry point: store/search.py), {"task_id", "code", "title", "prompt", ...}, or None.
LessonsAsk = Callable[[str, int], Callable[[], Sequence[Mapping[str, Any]]]]
SimilarAsk = Callable[[str, int, str, Mapping[str, str]], Mapping[str, Any] | None]


def recall(task: Mapping[str, Any], strategy: Strategy, *, lessons: LessonsAsk,
           similar: SimilarAsk) -> tuple[list[Mapping[str, Any]], Mapping[str, Any] | None]:
    """The lessons and the example the strategy puts into this task's prompt."""
    skill = str(task.get("skill") or "")
    later = lessons(skill, strategy.lessons) if strategy.lessons > 0 else None
    text = {k: str(task.get(k) or "") for k in ("title", "prompt", "entry_point")}
    example = (similar(skill, int(task.get("difficulty") or 1), str(task.get("id") or ""), text)
               if strategy.examples != "off" else None)
    found = list(later() or []) if later is not None else []
    return found[:strategy.lessons], keep_example(task, example, strategy)


def with_settings(llm: LLMCall, overrides: Mapping[str, Any]) -> LLMCall:
    """`llm` with some call settings (temperature, seed) fixed."""
    if not overrides:
        return llm
    return lambda messages, **kw: llm(messages, **{**overrides, **kw})


def solve(task: Mapping[str, Any], strategy: Strategy, *, llm: LLMCall, run_tests: RunTests,
          lessons: Sequence[Mapping[str, Any]] = (), example: Mapping[str, Any] | None = None,
          budget: int = 3000, clock: Callable[[], float] = time.monotonic) -> tuple[Prompt, AttemptOutcome]:
    """Prompt, then up to `samples` candidates (each with its repair rounds). An `LLMError`
    before any answer propagates, as in run_attempt (an endpoint error is not an attempt); after
    a candidate, the best so far stands."""
    start = clock()
    prompt = build_prompt(task, lessons, example, budget=budget)
    if strategy.adapt:
        reused = adapted(task, example, run_tests=run_tests, clock=clock)
        if reused is not None:
            return prompt, dataclasses.replace(reused, prompt=prompt.text(), wall_s=clock() - start)
    prompts = candidate_prompts(task, prompt, strategy.samples, budget)
    outcomes: list[AttemptOutcome] = []
    for i in range(strategy.samples):
        shown, settings = prompts[i]
        try:
            outcome = run_attempt(task, shown, llm=with_settings(llm, strategy.sample_settings(settings)),
                                  run_tests=run_tests, repair_rounds=strategy.repair_rounds, budget=budget,
                                  normalise=strategy.normalise, clock=clock)
        except LLMError:
            if not outcomes:
                raise
            break
        outcomes.append(outcome)
        if outcome.status == "passed":
            break
    combined = _combine(outcomes, clock() - start)
    # the attempt showed the memory prompt's lessons whichever candidate won: a lesson's effect
    # compares attempts, not the candidates the visible tests picked (store/lessons.py)
    return prompt, dataclasses.replace(combined, lesson_ids=list(prompt.lesson_ids))


def adapted(task: Mapping[str, Any], example: Mapping[str, Any] | None, *, run_tests: RunTests,
            clock: Callable[[], float] = time.monotonic) -> AttemptOutcome | None:
    """The example's code adapted to the task (adapt.py) as a passing attempt, or None when
    there is no adaptation or it fails a visible test."""
    entry, tests = str(task.get("entry_point") or ""), str(task.get("visible_tests") or "")
    if not tests.strip():
        return None  # nothing to check the adaptation on: the model answers
    for found in adaptations(task, example):
        t0 = clock()
        report = dict(run_tests(found.code, tests, entry))
        if not report.get("all_passed"):
            continue
        note = found.describe()
        return AttemptOutcome(
            status="passed", code=found.code, error="", category="passed",
            visible_passed=int(report.get("passed") or 0), visible_total=int(report.get("total") or 0),
            repair_rounds=0, prompt="", response=f"({note}; the model was not asked)", tokens_in=0, tokens_out=0,
            llm_latency_s=0.0, sandbox_s=clock() - t0, wall_s=clock() - t0,
            settings={"adapted_from": found.source, "substitutions": [list(s) for s in found.substitutions]},
            samples=0)
    return None


def candidate_prompts(task: Mapping[str, Any], prompt: Prompt, samples: int, budget: int) -> list[tuple[Prompt, int]]:
    """(prompt, settings index) of each candidate: the memory prompt alone, or with `samples` > 1
    and memory in it, memory and memory-free in turn, index 0 (the configured settings) for the
    first of each and the candidate's own index after (sampled)."""
    if samples <= 1 or not (prompt.lesson_ids or prompt.example_task):
        return [(prompt, i) for i in range(samples)]
    bare = build_prompt(task, budget=budget)
    return [(prompt if i % 2 == 0 else bare, 0 if i < 2 else i) for i in range(samples)]


def _combine(outcomes: list[AttemptOutcome], wall_s: float) -> AttemptOutcome:
    """The submitted candidate (first passing, else most visible tests passed, earliest on a
    tie) with the cost of all of them."""
    if len(outcomes) == 1:
        return outcomes[0]
    rank = {"passed": 2, "failed": 1, "error": 0}
    best = max(outcomes, key=lambda o: (rank.get(o.status, 0), o.visible_passed, -outcomes.index(o)))
    response = "\n\n".join(f"=== candidate {i} ===\n{o.response}" for i, o in enumerate(outcomes))
    return dataclasses.replace(
        best, response=response, samples=len(outcomes), chosen=outcomes.index(best),
        tokens_in=sum(o.tokens_in for o in outcomes), tokens_out=sum(o.tokens_out for o in outcomes),
        llm_latency_s=sum(o.llm_latency_s for o in outcomes), sandbox_s=sum(o.sandbox_s for o in outcomes),
        wall_s=wall_s, rounds=[r for o in outcomes for r in o.rounds])
