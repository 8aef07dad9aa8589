"""A suite, in the judge: the reference's race, the tests groups, the candidate's race, in one
run (sandbox._parts says in which order and why).

Each part starts clean: a fresh namespace built from trusted sources, a fresh process (the
candidate's, or the reference's for its race) once the last one and whatever it left running
are killed, and its own deadline. Every verdict line names its part: {"g": group, "name", ...}
for a test, {"g": group, "group_done": true, ...} once a group is over (its own status comes
from that), {"role": "reference" | "candidate", "race": {...}} for a race.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import _judge, _race
from sandbox._parts import SLOWEST_RATIO, budget
from sandbox._stub import Link
from sandbox._testsfile import Step
from sandbox._verdicts import returncode


def _race_part(link: Link, req: dict[str, Any], race: dict[str, Any], ns: dict[str, Any] | None, *,
               tree: bool, reference: str | None, expected: list[Any] | None
               ) -> tuple[dict[str, Any], list[Any], dict[str, Any] | None]:
    """One race: (outcome, first results, the namespace with the setup done, to reuse)."""
    part = {**race, "entry_point": req["entry_point"], "context": req.get("context") or "", "reference": reference}
    if ns is None:
        ns, error, _ = _judge.namespace(req, link)
        error = _judge.race_setup(part, ns, error)
        if error:
            return {"ok": False, "error": error}, [], None
    outcome, results = _race.race_results(link, ns, part, tree=tree, expected=expected)
    return outcome, results, ns


def run(req: dict[str, Any], plans: dict[str, list[Step]], link: Link, record: _judge.Record, *,
        tree: bool) -> tuple[bool, bool]:
    """Judge a suite; (a MemoryError was seen, a call timed out) over the whole run."""
    limits, race = req["limits"], req.get("race")
    wall, cpu = float(limits["wall_s"]), float(limits["cpu_s"])
    run_end = float(req["deadline"])
    memory_error = timed_out = False
    figures = (race or {}).get("figures")
    expected: list[Any] | None = None
    race_ns: dict[str, Any] | None = None

    def begin(code: str, wall_s: float, call_s: float) -> float:
        start = time.monotonic()
        link.part(code, deadline=min(run_end, start + wall_s), call_timeout=call_s)
        return start

    def end() -> None:
        nonlocal memory_error, timed_out
        memory_error |= link.memory_error
        timed_out |= link.call_timed_out
        link.kill()

    if race and not figures:
        start = begin(race["reference"], wall, cpu)
        outcome, expected, race_ns = _race_part(link, req, race, None, tree=tree, reference=None, expected=None)
        outcome["wall_s"] = round(time.monotonic() - start, 4)
        record(role="reference", race=outcome)
        end()
        figures = outcome if outcome.get("ok") else None
    passes: dict[str, int] = {}
    for name, steps in plans.items():
        begin(req["code"], wall, cpu)
        mark = len(link.spawner.ends)
        ns, setup_error, context_memory = _judge.namespace(req, link)
        passes[name], group_memory = _judge.tests(link, ns, steps, lambda **f: record(g=name, **f), setup_error,
                                                  req["entry_point"])
        group_memory |= context_memory or link.memory_error
        timed = link.call_timed_out
        end()
        record(g=name, group_done=True, memory_error=group_memory, call_timeout=timed,
               returncode=returncode({"served": link.spawner.ends[mark:], "returncode": 0}))
    if not race:
        return memory_error, timed_out
    gate = race.get("gate")
    if figures is None:
        outcome = {"ok": False, "error": "not raced: the reference could not be timed"}
    elif gate is not None and not passes.get(gate):
        outcome = {"ok": False, "error": f"not raced: no {gate} test passed"}
    else:
        wall_c, call_s = budget(figures, wall, cpu, float(race.get("slowest_ratio") or SLOWEST_RATIO))
        start = begin(req["code"], wall_c, call_s)
        outcome = _race_part(link, req, race, race_ns, tree=tree, reference=race["reference"], expected=expected)[0]
        outcome["wall_s"] = round(time.monotonic() - start, 4)
        end()
    record(role="candidate", race=outcome)
    return memory_error, timed_out
