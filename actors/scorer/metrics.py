"""Pure scoring: test reports and measurements in, four 0..1 scores and a weighted total out.

    correctness  hidden tests passed / hidden tests
    robustness   edge-case tests passed / edge-case tests (correctness when a task has none)
    efficiency   candidate against reference on the task's large input: time and peak memory
    elegance     static analysis (see elegance.py)

Efficiency and elegance earn nothing unless at least one hidden test passes.

Nothing here runs code; `grade.py` runs the sandbox and hands the results to `score`.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Mapping, Sequence

from .elegance import elegance

PARTS = ("correctness", "robustness", "efficiency", "elegance")
# Below this a timing is noise (a reference that runs in microseconds is not "infinitely" fast).
TIME_FLOOR_S = 2e-4
MEMORY_FLOOR_BYTES = 64 * 1024
# A candidate up to this many times the reference's cost still scores full marks.
RATIO_SLACK = 1.25
TIME_SHARE = 0.75  # of efficiency; memory has the rest


def fraction_passed(report: Mapping[str, Any] | None) -> float | None:
    """passed/total of a TestReport dict, None when there were no tests."""
    if not report or not report.get("total"):
        return None
    return report.get("passed", 0) / report["total"]


def ratio_score(ratio: float) -> float:
    """1 up to RATIO_SLACK times the reference, then falling with each doubling (2x: ~0.6, 10x: ~0.25)."""
    if ratio <= RATIO_SLACK:
        return 1.0
    return 1.0 / (1.0 + math.log2(ratio / RATIO_SLACK))


def efficiency(candidate: Mapping[str, Any] | None, reference: Mapping[str, Any] | None,
               time_limit_s: float) -> float | None:
    """Score a candidate's measurement against the reference's on the same input.

    A measurement is `{"ok": bool, "time_s": float, "peak_bytes": int}`. None when the
    reference could not be measured (nothing to compare with); 0 when the candidate
    failed, timed out or needed more than the task's time limit for one call.
    """
    if not reference or not reference.get("ok"):
        return None
    if not candidate or not candidate.get("ok") or candidate["time_s"] > time_limit_s:
        return 0.0
    t_ratio = max(candidate["time_s"], TIME_FLOOR_S) / max(reference["time_s"], TIME_FLOOR_S)
    m_ratio = (max(candidate["peak_bytes"], MEMORY_FLOOR_BYTES) / max(reference["peak_bytes"], MEMORY_FLOOR_BYTES))
    return round(TIME_SHARE * ratio_score(t_ratio) + (1 - TIME_SHARE) * ratio_score(m_ratio), 4)


def weighted_total(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """Weighted mean of the parts that were measured (weights renormalised over them)."""
    present = {k: v for k, v in parts.items() if v is not None and weights.get(k, 0) > 0}
    mass = sum(weights[k] for k in present)
    if mass <= 0:
        return 0.0
    return round(sum(weights[k] * present[k] for k in present) / mass, 4)


def weights_from(config: Any) -> dict[str, float]:
    """The four weights from an ops.ground.config.ScorerConfig (or any object/dict with those names)."""
    if isinstance(config, Mapping):
        return {k: float(config[k]) for k in PARTS}
    return {k: float(getattr(config, k)) for k in PARTS}


def forbidden_imports_used(code: str, forbidden: Sequence[str]) -> list[str]:
    """Top-level module names from `forbidden` that the code imports (or `__import__`s by name)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    banned, found = set(forbidden), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("__import__", "import_module") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value.split(".")[0])
    return sorted(found & banned)


def score(*, hidden: Mapping[str, Any] | None, edge: Mapping[str, Any] | None,
          candidate_eff: Mapping[str, Any] | None, reference_eff: Mapping[str, Any] | None,
          code: str, reference: str | None, time_limit_s: float, weights: Mapping[str, float],
          forbidden: Sequence[str] = ()) -> dict[str, Any]:
    """The four parts, the total and `passed`, plus details for the history."""
    banned = forbidden_imports_used(code, forbidden)
    correctness = fraction_passed(hidden) or 0.0
    robustness = fraction_passed(edge)
    eff = efficiency(candidate_eff, reference_eff, time_limit_s) if correctness > 0 else 0.0
    eleg, eleg_details = elegance(code, reference)
    if correctness == 0:  # tidy code that solves nothing earns nothing (the measures stay in details)
        eleg = 0.0
    parts: dict[str, float | None] = {"correctness": correctness,
                                      "robustness": correctness if robustness is None else robustness,
                                      "efficiency": eff, "elegance": eleg}
    if banned:  # a forbidden import voids the attempt, whatever its tests said
        parts = {k: 0.0 for k in PARTS}
    total = weighted_total(parts, weights)
    filled = {k: round(correctness if v is None else v, 4) for k, v in parts.items()}
    passed = bool(hidden and hidden.get("total") and hidden.get("passed") == hidden["total"] and not banned)
    return {**filled, "total": total, "passed": passed,
            "details": {"elegance": eleg_details, "forbidden_imports": banned,
                        "efficiency_measured": parts["efficiency"] is not None,
                        "hidden": _summary(hidden), "edge": _summary(edge),
                        "candidate_eff": dict(candidate_eff or {}), "reference_eff": dict(reference_eff or {})}}


def _summary(report: Mapping[str, Any] | None) -> dict[str, Any]:
    if not report:
        return {}
    failed = [t for t in report.get("tests", []) if not t.get("passed")]
    return {"passed": report.get("passed", 0), "total": report.get("total", 0),
            "first_failure": (failed[0].get("error") or "")[:300] if failed else None,
            "status": (report.get("run") or {}).get("status")}


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against their index (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def skill_trends(scores: Sequence[Mapping[str, Any]], window: int, key: str = "total") -> dict[str, float]:
    """Per-skill slope of `key` over each skill's last `window` scores (scores oldest first)."""
    by_skill: dict[str, list[float]] = {}
    for s in scores:
        by_skill.setdefault(s["skill"], []).append(float(s.get(key) or 0.0))
    return {skill: round(slope(vals[-window:]), 5) for skill, vals in by_skill.items()}
