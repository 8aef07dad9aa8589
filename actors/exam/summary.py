"""An exam run's figures from its stored results. Pure: the runner, `cogloop exam`, the report
and bench/learning.py all show the same numbers.

Per arm: tasks, passes, the pass rate with its clustered interval, the same for the
seen-generator and held-out-generator parts, tokens (in + out) and tokens per solved task.
Per comparison of actors/exam/arms.py COMPARISONS (both arms ran): the paired lift on the tasks
both have, overall and per part.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from actors.exam.arms import COMPARISONS
from actors.exam.stats import lift, pass_rate

PARTS = ("seen", "heldout")


def _by_arm(results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Mapping[str, Any]]]:
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    for r in results:
        out.setdefault(str(r["arm"]), {})[str(r["exam_task_id"])] = r
    return out


def arm_figures(tasks: Sequence[Mapping[str, Any]], rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    done = [t for t in tasks if t["id"] in rows]
    passed = [bool(rows[t["id"]]["passed"]) for t in done]
    tokens = sum(int(rows[t["id"]].get("tokens_in") or 0) + int(rows[t["id"]].get("tokens_out") or 0) for t in done)
    parts = {}
    for part in PARTS:
        mine = [t for t in done if t["part"] == part]
        parts[part] = {"n": len(mine), "passed": sum(bool(rows[t["id"]]["passed"]) for t in mine),
                       "rate": pass_rate([bool(rows[t["id"]]["passed"]) for t in mine],
                                         [t["generator"] for t in mine]).to_dict()}
    return {"n": len(done), "passed": sum(passed), "rate": pass_rate(passed, [t["generator"] for t in done]).to_dict(),
            "parts": parts, "tokens": tokens, "tokens_per_solved": round(tokens / sum(passed), 1) if sum(passed) else None,
            "cached": sum(1 for t in done if rows[t["id"]].get("cached_from")),
            "wall_s": round(sum(float(rows[t["id"]].get("wall_s") or 0) for t in done), 2)}


def lift_figures(tasks: Sequence[Mapping[str, Any]], a: Mapping[str, Mapping[str, Any]],
                 b: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    both = [t for t in tasks if t["id"] in a and t["id"] in b]
    out: dict[str, Any] = {}
    for part in (None, *PARTS):
        mine = [t for t in both if part is None or t["part"] == part]
        est = lift([bool(a[t["id"]]["passed"]) for t in mine], [bool(b[t["id"]]["passed"]) for t in mine],
                   [t["generator"] for t in mine]).to_dict()
        out[part or "all"] = est
    return out


def summarize(tasks: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]],
              arms: Sequence[str] | None = None) -> dict[str, Any]:
    """`tasks`: the exam's {"id", "generator", "part"}; `results`: stored exam_results rows."""
    by_arm = _by_arm(results)
    names = list(arms) if arms else list(by_arm)
    figures = {name: arm_figures(tasks, by_arm.get(name, {})) for name in names}
    lifts = [{"label": label, "arm": a, "baseline": b, **lift_figures(tasks, by_arm[a], by_arm[b])}
             for label, a, b in COMPARISONS if a in by_arm and b in by_arm]
    return {"tasks": len(tasks), "order": names, "parts": {p: sum(1 for t in tasks if t["part"] == p) for p in PARTS},
            "generators": len({t["generator"] for t in tasks}), "arms": figures, "lifts": lifts}


def _pts(v: Any) -> str:
    return "n/a" if v is None or v != v else f"{100 * v:+.1f}"


def learning_line(summary: Mapping[str, Any]) -> str:
    """bench/learning.py's last line:
    `learning: plain P/N, loop L/N, ratio R; memory on-off D pts (seen S pts, held-out H pts)`."""
    arms = summary["arms"]
    plain, loop = arms.get("plain") or {}, arms.get("loop") or {}
    p, n_p, l_, n_l = plain.get("passed", 0), plain.get("n", 0), loop.get("passed", 0), loop.get("n", 0)
    ratio = "n/a" if not (n_p and n_l) else f"{l_ / p:.2f}" if p else ("inf" if l_ else "n/a")
    mem = next((x for x in summary["lifts"] if x["label"] == "memory"), None)
    d, s, h = ((mem["all"]["mean"], mem["seen"]["mean"], mem["heldout"]["mean"]) if mem else (None, None, None))
    return (f"learning: plain {p}/{n_p}, loop {l_}/{n_l}, ratio {ratio}; memory on-off {_pts(d)} pts "
            f"(seen {_pts(s)} pts, held-out {_pts(h)} pts)")
