"""Grade a candidate in the sandbox: hidden tests, edge tests, and the efficiency race.

The imperative half of the Scorer (the pure half is metrics.py). Every run of untrusted
code goes through `sandbox.suite`: the tests run in a judge process apart from the
candidate's, and the race reads the candidate's cost from outside its process
(docs/sandbox.md), so neither a verdict nor a timing can be forged from inside. The reference
is raced the same way (once per task: references.py), so both sides of the efficiency ratio
see the same machine and limits.
"""

from __future__ import annotations

from typing import Any, Mapping

from sandbox import JUDGE_VERSION, Limits, RaceResult, TestsFileError, humaneval_context, suite, test_names

from .metrics import score
from .references import ReferenceBook, reference_key

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


def context_of(task: Mapping[str, Any]) -> str:
    """The task's trusted context; HumanEval tasks stored before the field existed derive it."""
    if task.get("context"):
        return str(task["context"])
    if task.get("source") == "humaneval" and task.get("prompt") and task.get("entry_point"):
        return humaneval_context(task["prompt"], task["entry_point"])
    return ""


def measurement(r: RaceResult) -> dict[str, Any]:
    """A race as the score's details keep it (metrics.efficiency reads ok, time_s, peak_bytes)."""
    out = {"ok": r.ok, "status": r.run.status if r.run else "", "wall_s": r.wall_s,
           "signs": list(r.judge.get("signs") or [])}
    if r.ok:
        out.update(time_s=r.time_s, peak_bytes=r.peak_bytes, reps=r.reps, first_s=r.first_s, median_s=r.median_s,
                   timed_s=r.timed_s, judge_s=r.judge_s, outside_s=r.outside_s, clock=r.clock)
    else:
        out["error"] = r.error[-300:] or (r.run.stderr[-300:] if r.run else "")
    return out


def _groups(task: Mapping[str, Any]) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """The tests groups to run (hidden, then edge), and the report of each that cannot run: a
    broken tests file is the task's fault, so no tests are counted for it."""
    groups, broken = [], {}
    for name in ("hidden", "edge"):
        src = task.get(f"{name}_tests") or ""
        if not src.strip():
            continue
        try:
            test_names(src)
        except TestsFileError as exc:
            broken[name] = {"passed": 0, "failed": 0, "total": 0, "tests": [], "error": str(exc)}
            continue
        groups.append((name, src))
    return groups, broken


def grade(task: Mapping[str, Any], code: str, *, weights: Mapping[str, float], limits: Limits = Limits(),
          server: Any = None, references: ReferenceBook | None = None) -> dict[str, Any]:
    """Score `code` against a private task (with hidden tests, edge tests and reference).

    One sandbox run (sandbox.suite): the hidden tests, the edge tests — each group on its own
    clock, so a hanging edge test cannot void the hidden verdicts, which are out before it
    starts — and the efficiency race when a hidden test passed. The reference's figures come
    from `references` when it has them; else the reference is raced first in the same run and
    kept there for the task's later candidates.
    """
    lim = task_limits(limits, task.get("constraints"))
    entry, context = task["entry_point"], context_of(task)
    groups, broken = _groups(task)
    eff_spec = (task.get("meta") or {}).get("efficiency")
    reference = task.get("reference")
    race = key = None
    ref_eff: dict[str, Any] | None = None
    if eff_spec and reference and any(name == "hidden" for name, _ in groups):
        key = reference_key(JUDGE_VERSION, entry, reference, eff_spec, context, lim.to_dict())
        ref_eff = references.get(key) if references is not None else None
        race = {"setup": eff_spec["setup"], "call": eff_spec.get("call") or "candidate(*args)",
                "reference": reference, "gate": "hidden", "slowest_ratio": SLOWEST_RATIO,
                "min_time_s": MIN_TIMED_S, "max_reps": MAX_REPS,
                "figures": {"time_s": ref_eff["time_s"], "wall_s": ref_eff["wall_s"]} if ref_eff else None}
        if ref_eff:
            ref_eff["cached"] = True
    hidden, edge, cand_eff = broken.get("hidden"), broken.get("edge"), None
    if groups:
        r = suite(code, entry_point=entry, tests=groups, context=context, race=race, limits=lim, server=server)
        hidden = r.tests["hidden"].to_dict() if "hidden" in r.tests else hidden
        edge = r.tests["edge"].to_dict() if "edge" in r.tests else edge
        if r.reference is not None:
            ref_eff = measurement(r.reference)
            if references is not None and key is not None:
                references.put(key, ref_eff)
        if r.race is not None and hidden and hidden.get("passed") and ref_eff and ref_eff.get("ok"):
            cand_eff = measurement(r.race)  # raced (or failed trying); not when it was never due
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
