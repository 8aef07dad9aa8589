"""Grade a candidate in the sandbox: hidden tests, edge tests, and the efficiency race.

The imperative half of the Scorer (the pure half is metrics.py). Every run of untrusted
code goes through `sandbox.run_tests` / `sandbox.race`: the tests run in a judge process
apart from the candidate's, and the race reads the candidate's cost from outside its process
(docs/sandbox.md), so neither a verdict nor a timing can be forged from inside. The reference
is raced the same way, so both sides of the efficiency ratio see the same machine and limits.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ContextManager, Mapping

from sandbox import JUDGE_VERSION, Limits, TestsFileError, humaneval_context, race, run_tests

from .metrics import score

# The race repeats the call until it has cost MIN_TIMED_S (or MAX_REPS calls), so a fast
# function is timed above the clock's noise; beyond SLOWEST_RATIO times the reference the
# efficiency score is near zero anyway, so a call may not take longer than that.
MIN_TIMED_S = 0.2
MAX_REPS = 50
SLOWEST_RATIO = 50


def task_limits(base: Limits, constraints: Mapping[str, Any] | None) -> Limits:
    """The sandbox limits for one task: the configured ones, with the task's memory cap."""
    mem = (constraints or {}).get("memory_mb")
    return base.replace(mem_mb=int(mem)) if isinstance(mem, int) and mem > 0 else base


def measure(code: str, entry_point: str, efficiency: Mapping[str, str], limits: Limits,
            server: Any = None, *, context: str = "", reference: str | None = None,
            call_timeout_s: float | None = None) -> dict[str, Any]:
    """Race `efficiency["call"]` after `efficiency["setup"]`; with `reference`, the results
    must equal the reference's (a fast wrong answer earns nothing)."""
    r = race(code, entry_point=entry_point, setup=efficiency["setup"],
             call=efficiency.get("call") or "candidate(*args)", context=context, reference=reference,
             min_time_s=MIN_TIMED_S, max_reps=MAX_REPS, call_timeout_s=call_timeout_s, limits=limits,
             server=server)
    out = {"ok": r.ok, "status": r.run.status if r.run else "", "wall_s": r.run.wall_s if r.run else 0.0,
           "signs": list(r.judge.get("signs") or [])}
    if r.ok:
        out.update(time_s=r.time_s, peak_bytes=r.peak_bytes, reps=r.reps, first_s=r.first_s,
                   median_s=r.median_s, outside_s=r.outside_s, clock=r.clock)
    else:
        out["error"] = r.error[-300:] or (r.run.stderr[-300:] if r.run else "")
    return out


def candidate_budget(reference: Mapping[str, Any], limits: Limits) -> tuple[Limits, float]:
    """The candidate's race limits and per-call timeout: enough for ~SLOWEST_RATIO times the
    reference's call. Beyond that the efficiency score would be near zero anyway, and a
    quadratic candidate should not hold the Scorer for the full wall-clock limit."""
    call_s = SLOWEST_RATIO * reference["time_s"] + 0.5
    wall = reference["wall_s"] * 2 + 3 * call_s + 1.0  # setup and the reference's result, twice
    return limits.replace(wall_s=min(limits.wall_s, wall)), min(call_s, limits.cpu_s)


def context_of(task: Mapping[str, Any]) -> str:
    """The task's trusted context; HumanEval tasks stored before the field existed derive it."""
    if task.get("context"):
        return str(task["context"])
    if task.get("source") == "humaneval" and task.get("prompt") and task.get("entry_point"):
        return humaneval_context(task["prompt"], task["entry_point"])
    return ""


def _tests(code: str, tests: str, entry_point: str, limits: Limits, server: Any, context: str) -> dict[str, Any] | None:
    if not tests.strip():
        return None
    try:
        return run_tests(code, tests, entry_point=entry_point, context=context, limits=limits, server=server).to_dict()
    except TestsFileError as exc:  # a broken tests file is the task's fault: no tests counted
        return {"passed": 0, "failed": 0, "total": 0, "tests": [], "error": str(exc)}


def _both_tests(code: str, task: Mapping[str, Any], entry: str, lim: Limits,
                server: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Hidden and edge tests as two sandbox runs side by side (a Pool serves both at once).

    Two runs, not one merged tests file: each group keeps its own namespace, setup, wall clock
    and run status, exactly as when they ran one after the other.
    """
    hidden_src, edge_src = task.get("hidden_tests") or "", task.get("edge_tests") or ""
    context = context_of(task)
    if not (hidden_src.strip() and edge_src.strip()):
        return (_tests(code, hidden_src, entry, lim, server, context),
                _tests(code, edge_src, entry, lim, server, context))
    with ThreadPoolExecutor(1, thread_name_prefix="edge") as side:
        edge = side.submit(_tests, code, edge_src, entry, lim, server, context)
        hidden = _tests(code, hidden_src, entry, lim, server, context)
        return hidden, edge.result()


def grade(task: Mapping[str, Any], code: str, *, weights: Mapping[str, float], limits: Limits = Limits(),
          server: Any = None, timing: ContextManager[Any] | None = None) -> dict[str, Any]:
    """Score `code` against a private task (with hidden tests, edge tests and reference).

    `timing`: held around the efficiency race (reference, then candidate), e.g. a lock shared
    by concurrent grades so two races never run at once and slow each other's figures.
    """
    lim = task_limits(limits, task.get("constraints"))
    entry = task["entry_point"]
    hidden, edge = _both_tests(code, task, entry, lim, server)
    eff_spec = (task.get("meta") or {}).get("efficiency")
    reference = task.get("reference")
    cand_eff = ref_eff = None
    if eff_spec and reference and hidden and hidden.get("passed"):
        with timing or contextlib.nullcontext():
            ref_eff = measure(reference, entry, eff_spec, lim, server, context=context_of(task))
            if ref_eff.get("ok"):
                budget, call_s = candidate_budget(ref_eff, lim)
                cand_eff = measure(code, entry, eff_spec, budget, server, context=context_of(task),
                                   reference=reference, call_timeout_s=call_s)
    constraints = task.get("constraints") or {}
    graded = score(hidden=hidden, edge=edge, candidate_eff=cand_eff, reference_eff=ref_eff, code=code,
                   reference=reference, time_limit_s=float(constraints.get("time_limit_s", 5.0)),
                   weights=weights, forbidden=constraints.get("forbidden_imports") or ())
    signs = tampering_signs(hidden, edge, cand_eff)
    graded["details"].update(judge=JUDGE_VERSION, suspicious=bool(signs), signs=signs)
    return graded


def tampering_signs(*reports: Mapping[str, Any] | None) -> list[str]:
    """The signs of tampering the judge saw in the candidate's runs (refused results, blocked
    audit events), without repeats: any of them flags the score `suspicious`."""
    signs: list[str] = []
    for report in reports:
        found = (report or {}).get("signs") or ((report or {}).get("judge") or {}).get("signs") or []
        signs += [s for s in found if s not in signs]
    return signs[:20]
