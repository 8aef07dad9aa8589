"""One attempt at one task: ask, extract, test on the visible tests, repair, pick the candidate.

Pure apart from the two callables it is given, so it is tested without processes:

    llm(messages) -> result with .text .tokens_in .tokens_out .latency_s .settings
    run_tests(code, tests, entry_point) -> a sandbox TestReport dict
        {"passed", "failed", "total", "all_passed", "tests": [{"name", "passed", "error"}], "run": {...}}

Repair rounds follow Reflexion: the failing output goes back to the model with its own answer,
and it tries again, at most `repair_rounds` times. The candidate is the round that passed the
most visible tests (the latest on a tie). With `normalise`, each answer's code is first
cleared of mechanical slips (actors/builder/normalise.py: pasted test lines, the function
under another name, an unterminated docstring). An `LLMError` before any answer propagates: the
endpoint failed, the model said nothing, so there is no attempt to record (the caller gives the
task back and waits). After an answer, the attempt ends with what it has.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping

from actors.builder.extract import Extraction, extract_code
from actors.builder.normalise import normalise as normalise_code
from actors.builder.prompt import Prompt, clip_middle, repair_prompt
from actors.builder.reflect import failure_category
from actors.llm import LLMError

LLMCall = Callable[[list[dict[str, str]]], Any]
RunTests = Callable[[str, str, str], Mapping[str, Any]]


@dataclass
class Round:
    n: int  # 0 = first try, 1.. = repairs
    response: str
    code: str
    error: str  # extraction error, or "" when the code was tested
    report: dict[str, Any] | None
    tokens_in: int
    tokens_out: int
    latency_s: float
    sandbox_s: float
    normalised: list[str] = field(default_factory=list)  # what normalisation changed (normalise.py)

    @property
    def passed(self) -> int:
        return int((self.report or {}).get("passed") or 0)

    @property
    def all_passed(self) -> bool:
        return not self.error and bool((self.report or {}).get("all_passed"))


@dataclass
class AttemptOutcome:
    status: str  # passed (visible tests) | failed | error (no usable candidate)
    code: str
    error: str
    category: str
    visible_passed: int
    visible_total: int
    repair_rounds: int
    prompt: str
    response: str
    tokens_in: int
    tokens_out: int
    llm_latency_s: float
    sandbox_s: float
    wall_s: float
    settings: dict[str, Any] = field(default_factory=dict)
    lesson_ids: list[Any] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    samples: int = 1  # candidates drawn (actors/builder/pipeline.py); their cost is summed above
    chosen: int = 0  # which candidate this is
    normalised: list[str] = field(default_factory=list)  # what normalisation changed in the submitted code

    @property
    def adapted(self) -> bool:
        """Answered by an archived solution adapted to the task (pipeline.adapted): no model call."""
        return "adapted_from" in self.settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def feedback(round_: Round) -> str:
    """What the model is told about a failed round: the failing tests and the tail of stderr."""
    if round_.error:
        return round_.error
    report = round_.report or {}
    run = report.get("run") or {}
    lines = [f"{report.get('passed', 0)} of {report.get('total', 0)} visible tests passed."]
    status = run.get("status")
    if status and status not in ("ok", "passed", "exited"):
        lines.append(f"The run ended with status: {status}.")
    for t in report.get("tests") or []:
        if not t.get("passed"):
            lines.append(f"FAILED {t.get('name')}: {clip_middle(str(t.get('error') or 'failed'), 800)}")
    stderr = str(run.get("stderr") or "").strip()
    if stderr:
        lines.append("stderr:\n" + clip_middle(stderr, 1500))
    return "\n".join(lines)


def normalised(ext: Extraction, entry: str, prompt: str) -> tuple[Extraction, list[str]]:
    """The extraction with its code normalised (actors/builder/normalise.py), kept only when the
    result parses and defines the entry point (else the extraction as it was)."""
    if not ext.code.strip():
        return ext, []
    fixed = normalise_code(ext.code, entry, prompt)
    if not fixed.changes:
        return ext, []
    again = extract_code(f"```python\n{fixed.code}\n```", entry, prompt)
    if not again.ok:
        return ext, []
    return Extraction(again.code, "", ext.method), fixed.changes


def _responses(rounds: list[Round]) -> str:
    """Every answer of the attempt, in order, so the record shows the whole repair history."""
    if len(rounds) == 1:
        return rounds[0].response
    return "\n\n".join(f"--- round {r.n} ---\n{r.response}" for r in rounds)


def run_attempt(task: Mapping[str, Any], prompt: Prompt, *, llm: LLMCall, run_tests: RunTests,
                repair_rounds: int = 2, budget: int = 3000, normalise: bool = False,
                clock: Callable[[], float] = time.monotonic) -> AttemptOutcome:
    start = clock()
    entry, tests = str(task["entry_point"]), str(task.get("visible_tests") or "")
    rounds: list[Round] = []
    current = prompt
    settings: dict[str, Any] = {}
    llm_error = ""
    for n in range(repair_rounds + 1):
        try:
            result = llm(current.messages)
        except LLMError as exc:
            if not rounds:
                raise  # no answer at all: not an attempt
            llm_error = f"llm error during repair ({exc}); kept the best candidate so far"
            break
        settings = dict(getattr(result, "settings", {}) or {})
        ext = extract_code(result.text, entry, str(task.get("prompt") or ""))
        changes: list[str] = []
        if normalise:
            ext, changes = normalised(ext, entry, str(task.get("prompt") or ""))
        report, sandbox_s = None, 0.0
        if ext.ok:
            t0 = clock()
            report = dict(run_tests(ext.code, tests, entry)) if tests.strip() else {
                "passed": 0, "failed": 0, "total": 0, "all_passed": True, "tests": [], "run": {}}
            sandbox_s = clock() - t0
        r = Round(n, result.text, ext.code, ext.error, report, int(result.tokens_in), int(result.tokens_out),
                  float(result.latency_s), sandbox_s, changes)
        rounds.append(r)
        if r.all_passed or n == repair_rounds:
            break
        current = repair_prompt(prompt, result.text, feedback(r), budget=budget)

    best = max(rounds, key=lambda r: (r.all_passed, not r.error, r.passed, r.n))
    status = "passed" if best.all_passed else ("error" if best.error else "failed")
    error = best.error or ("" if best.all_passed else feedback(best))
    if llm_error and not best.all_passed:
        error = f"{error}\n{llm_error}".strip()
    return AttemptOutcome(
        status=status, code=best.code, error=error[:4000],
        category=failure_category(error=best.error, report=best.report, passed=best.all_passed),
        visible_passed=best.passed, visible_total=int((best.report or {}).get("total") or 0),
        repair_rounds=len(rounds) - 1, prompt=prompt.text(), response=_responses(rounds),
        tokens_in=sum(r.tokens_in for r in rounds), tokens_out=sum(r.tokens_out for r in rounds),
        llm_latency_s=sum(r.latency_s for r in rounds), sandbox_s=sum(r.sandbox_s for r in rounds),
        wall_s=clock() - start, settings=settings, lesson_ids=list(prompt.lesson_ids), rounds=rounds,
        normalised=list(best.normalised))
