"""The parts of a suite run (sandbox.suite), their order and their clocks: pure.

A suite judges one candidate in one run, where separate runs would each pay for a process tree:

    reference race   only when the request brings no reference figures (a cache miss); first,
                     before any of the candidate's code runs in this run, so nothing it leaves
                     behind can slow the reference down
    tests groups     in the caller's order (the Scorer's: hidden, then edge), each in a fresh
                     namespace and a fresh candidate process, with its own wall clock, status
                     and verdicts: a group that hangs or crashes costs the groups before it
                     nothing (their verdicts are already out) and the ones after it nothing
                     either (they start on their own clock)
    candidate race   when the `gate` group passed a test and the reference's figures are known;
                     its budget follows from them (`budget`)

The supervisor's wall clock for the whole run is the sum of the parts' (`total_wall_s`); each
part's own deadline is the judge's to keep.
"""

from __future__ import annotations

from typing import Any

SLOWEST_RATIO = 50.0  # a candidate's race call may take this many times the reference's (plus 0.5 s)


def budget(reference: dict[str, Any], wall_s: float, cpu_s: float,
           ratio: float = SLOWEST_RATIO) -> tuple[float, float]:
    """(wall clock, per-call timeout) of a candidate's race against the reference's figures
    (`time_s` per call, `wall_s` of its whole race): enough for about `ratio` times the
    reference's call. Beyond that the efficiency score is near zero anyway, and a quadratic
    candidate should not hold the Scorer for the full wall-clock limit."""
    call_s = ratio * float(reference["time_s"]) + 0.5
    wall = float(reference["wall_s"]) * 2 + 3 * call_s + 1.0  # setup and the reference's result, twice
    return min(wall_s, wall), min(call_s, cpu_s)


def plan(req: dict[str, Any]) -> list[tuple[str, str]]:
    """The parts a suite request may run, in order: ("race", "reference"), ("tests", GROUP)...,
    ("race", "candidate")."""
    race = req.get("race")
    out: list[tuple[str, str]] = []
    if race and not race.get("figures"):
        out.append(("race", "reference"))
    out += [("tests", str(name)) for name, _ in req.get("groups") or []]
    if race:
        out.append(("race", "candidate"))
    return out


def total_wall_s(req: dict[str, Any], wall_s: float) -> float:
    """The whole run's wall clock: every part's own (at most `wall_s` each)."""
    return wall_s * max(1, len(plan(req)))


def check(req: dict[str, Any]) -> None:
    """Refuse a malformed suite request (the caller's mistake) with a one-line ValueError."""
    groups = req.get("groups")
    if not isinstance(groups, list) or not all(
            isinstance(g, (list, tuple)) and len(g) == 2 and all(isinstance(x, str) for x in g) for g in groups):
        raise ValueError("suite: groups must be a list of (name, tests source) pairs")
    names = [g[0] for g in groups]
    if len(set(names)) != len(names) or not all(names):
        raise ValueError("suite: group names must be unique and not empty")
    race = req.get("race")
    if race is None:
        if not groups:
            raise ValueError("suite: nothing to run (no tests group and no race)")
        return
    if not isinstance(race, dict) or not isinstance(race.get("setup"), str):
        raise ValueError("suite: race must be a map with a setup")
    if not isinstance(race.get("reference"), str) or not race["reference"].strip():
        raise ValueError("suite: a race needs the reference's source (its results are the expected ones)")
    figures = race.get("figures")
    if figures is not None and not (isinstance(figures, dict) and all(
            isinstance(figures.get(k), (int, float)) and figures[k] >= 0 for k in ("time_s", "wall_s"))):
        raise ValueError("suite: race figures need time_s and wall_s (non-negative numbers)")
    if race.get("gate") is not None and race["gate"] not in names:
        raise ValueError(f"suite: the race's gate {race['gate']!r} is not a tests group")
