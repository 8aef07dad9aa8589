"""Grade a candidate in the sandbox: hidden tests, edge tests, and the efficiency race.

The imperative half of the Scorer (the pure half is metrics.py). Every run of untrusted
code goes through `sandbox.run_tests` / `sandbox.run_code`; the reference is timed the same
way so both sides of the efficiency ratio see the same machine and the same limits.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ContextManager, Mapping

from sandbox import Limits, run_code, run_tests
from sandbox import TestsFileError

from .metrics import score

# The timing harness appended to the code under test. The clock, tracemalloc and json are
# bound before the candidate's code runs, and the result line carries a per-run nonce, so a
# candidate cannot simply print a flattering figure. The call repeats until it has taken
# MIN_TIMED_S (or MAX_REPS calls) so a fast function is timed above the clock's noise.
MIN_TIMED_S = 0.2
MAX_REPS = 50
SLOWEST_RATIO = 50
_PRELUDE = "from time import perf_counter as _cg_clock\nimport tracemalloc as _cg_tm, json as _cg_json\n"
_HARNESS = """
candidate = {entry}
{setup}
_cg_n, _cg_start = 0, _cg_clock()
while True:
    {call}
    _cg_n += 1
    _cg_el = _cg_clock() - _cg_start
    if _cg_el >= {min_s} or _cg_n >= {reps}:
        break
_cg_tm.start()
{call}
_cg_peak = _cg_tm.get_traced_memory()[1]
_cg_tm.stop()
print({marker!r} + _cg_json.dumps({{"time_s": _cg_el / _cg_n, "peak_bytes": _cg_peak, "reps": _cg_n}}))
"""


def task_limits(base: Limits, constraints: Mapping[str, Any] | None) -> Limits:
    """The sandbox limits for one task: the configured ones, with the task's memory cap."""
    mem = (constraints or {}).get("memory_mb")
    return base.replace(mem_mb=int(mem)) if isinstance(mem, int) and mem > 0 else base


def measure(code: str, entry_point: str, efficiency: Mapping[str, str], limits: Limits,
            server: Any = None) -> dict[str, Any]:
    """Time one call of `efficiency["call"]` after `efficiency["setup"]`, in the sandbox."""
    marker = f"__cogloop_eff_{secrets.token_hex(8)}__"
    program = _PRELUDE + code + "\n" + _HARNESS.format(
        entry=entry_point, setup=efficiency["setup"], call=efficiency["call"],
        min_s=MIN_TIMED_S, reps=MAX_REPS, marker=marker)
    run = run_code(program, limits=limits, server=server)
    for line in reversed(run.stdout.splitlines()):
        if line.startswith(marker):
            try:
                data = json.loads(line[len(marker):])
            except ValueError:
                break
            return {"ok": run.ok, "time_s": float(data["time_s"]), "peak_bytes": int(data["peak_bytes"]),
                    "reps": int(data["reps"]), "status": run.status, "wall_s": run.wall_s}
    return {"ok": False, "status": run.status, "error": run.stderr[-300:], "wall_s": run.wall_s}


def candidate_budget(reference: Mapping[str, Any], limits: Limits) -> Limits:
    """Limits for the candidate's timing run: enough for ~SLOWEST_RATIO times the reference.

    Beyond that the efficiency score would be near zero anyway, and a quadratic candidate
    should not hold the Scorer for the full wall-clock limit. (One call untraced, one under
    tracemalloc, which costs about twice as much: three calls' worth, plus the setup.)
    """
    budget = reference["wall_s"] + 3 * SLOWEST_RATIO * reference["time_s"] + 1.0
    return limits.replace(wall_s=min(limits.wall_s, budget), cpu_s=min(limits.cpu_s, budget))


def _tests(code: str, tests: str, entry_point: str, limits: Limits, server: Any) -> dict[str, Any] | None:
    if not tests.strip():
        return None
    try:
        return run_tests(code, tests, entry_point=entry_point, limits=limits, server=server).to_dict()
    except TestsFileError as exc:  # a broken tests file is the task's fault: no tests counted
        return {"passed": 0, "failed": 0, "total": 0, "tests": [], "error": str(exc)}


def _both_tests(code: str, task: Mapping[str, Any], entry: str, lim: Limits,
                server: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Hidden and edge tests as two sandbox runs side by side (a Pool serves both at once).

    Two runs, not one merged tests file: each group keeps its own namespace, setup, wall clock
    and run status, exactly as when they ran one after the other.
    """
    hidden_src, edge_src = task.get("hidden_tests") or "", task.get("edge_tests") or ""
    if not (hidden_src.strip() and edge_src.strip()):
        return _tests(code, hidden_src, entry, lim, server), _tests(code, edge_src, entry, lim, server)
    with ThreadPoolExecutor(1, thread_name_prefix="edge") as side:
        edge = side.submit(_tests, code, edge_src, entry, lim, server)
        hidden = _tests(code, hidden_src, entry, lim, server)
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
            ref_eff = measure(reference, entry, eff_spec, lim, server)
            if ref_eff.get("ok"):
                cand_eff = measure(code, entry, eff_spec, candidate_budget(ref_eff, lim), server)
    constraints = task.get("constraints") or {}
    return score(hidden=hidden, edge=edge, candidate_eff=cand_eff, reference_eff=ref_eff, code=code,
                 reference=reference, time_limit_s=float(constraints.get("time_limit_s", 5.0)),
                 weights=weights, forbidden=constraints.get("forbidden_imports") or ())
