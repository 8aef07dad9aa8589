"""Where a task's CPU goes: per daemon process, and per sandbox step.

    python bench/cost.py steps [--tasks 40]

steps: the sandbox work of one task-bank task as the daemon does it, step by step, in this
process (no daemon, no bus): the builder's visible tests, the Scorer's hidden and edge tests,
and the efficiency race (reference and candidate, each with the CPU of its timed calls apart).
Each step's CPU is this process's plus the fork servers' (their own and the runs they reaped),
so it is what the step costs the machine, whatever else the box is doing. Baseline, same run:
the CPU of one bare run_tests call (`sandbox_run_cpu`), which every figure is divided by.

The helpers here (`role_cpu`, `sandbox_run_cpu`, `timed_cpu`) also serve
`bench/builder.py daemon`, which prints the per-process split and the overhead per task.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu(p: Any, reaped: bool = True) -> float:
    t = p.cpu_times()
    return t.user + t.system + ((t.children_user + t.children_system) if reaped else 0.0)


def role_of(cmdline: list[str]) -> str:
    """An actor process's role from its command line: its name, or `spare-KIND`."""
    if "--name" in cmdline:
        return cmdline[cmdline.index("--name") + 1]
    if "--spare" in cmdline and "--kind" in cmdline:
        return "spare-" + cmdline[cmdline.index("--kind") + 1]
    return "other"


def role_cpu(supervisor_pid: int) -> dict[str, float]:
    """CPU seconds so far of the daemon's tree, by role: "supervisor", each actor by name, and
    "NAME sandbox" for everything below an actor (fork servers, zygotes, the runs they reaped).
    A process that exits is counted by its parent once reaped (children_user/system)."""
    import psutil

    out: dict[str, float] = {}
    try:
        sup = psutil.Process(supervisor_pid)
        out["supervisor"] = _cpu(sup, reaped=False)
        actors = sup.children()
    except psutil.Error:
        return out
    for actor in actors:
        try:
            role = role_of(actor.cmdline())
            own = _cpu(actor)
            below = actor.children(recursive=True)
        except psutil.Error:
            continue
        out[role] = out.get(role, 0.0) + own
        for p in below:
            try:
                out[f"{role} sandbox"] = out.get(f"{role} sandbox", 0.0) + _cpu(p)
            except psutil.Error:  # a run that just ended: its parent counts it once reaped
                pass
    # actors that exited (dismissed spares) and were reaped by the supervisor
    t = sup.cpu_times() if sup.is_running() else None
    if t is not None:
        out["reaped"] = t.children_user + t.children_system
    return out


def role_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in sorted(set(before) | set(after))}


def _tree_cpu(pids: Iterable[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            total += _cpu(p) + sum(_cpu(c) for c in p.children(recursive=True))
        except psutil.Error:
            pass
    return total


class CpuMeter:
    """CPU of this process plus the sandbox pool's fork servers (and the runs they reaped)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def now(self) -> float:
        return time.process_time() + _tree_cpu(self.pool.pids())


def sandbox_run_cpu(runs: int = 60) -> tuple[float, float]:
    """One bare run_tests call one at a time (the floor of a task: the builder's visible tests
    are one): (CPU seconds per run, this process + fork server + the run's processes; wall
    seconds per run)."""
    from sandbox import Limits, Pool, run_tests

    pool = Pool(size=1)
    code, tests = "def add_0(x):\n    return x + 0\n", "assert candidate(1) == 1\nassert candidate(-0) == 0"
    try:
        for _ in range(3):  # start the server, warm its first runs
            run_tests(code, tests, entry_point="add_0", limits=Limits(), server=pool)
        meter = CpuMeter(pool)
        c0, t0 = meter.now(), time.perf_counter()
        for _ in range(runs):
            run_tests(code, tests, entry_point="add_0", limits=Limits(), server=pool)
        return (meter.now() - c0) / runs, (time.perf_counter() - t0) / runs
    finally:
        pool.close()


def race_timed_s(eff: dict[str, Any] | None) -> tuple[float, float]:
    """The CPU of a race's timed calls: (the candidate's inside the calls, the judge's making
    them: sending, probing, waiting). Judges before `timed_s` report neither: the candidate's side
    is estimated from its first and median call there, the judge's is 0."""
    if not eff or not eff.get("ok"):
        return 0.0, 0.0
    if "timed_s" in eff:
        return float(eff["timed_s"]), float(eff.get("judge_s") or 0.0)
    reps = int(eff.get("reps") or 0)
    return float(eff.get("first_s") or 0.0) + max(0, reps - 1) * float(eff.get("median_s") or 0.0), 0.0


def timed_cpu(details: Iterable[dict[str, Any]]) -> tuple[float, float]:
    """Timed-call CPU seconds in the scores' details, (candidate side, judge side): the
    candidate's race, and the reference's when it was raced for that score (not from the cache)."""
    cand = judge = 0.0
    for d in details:
        ref = d.get("reference_eff") or {}
        for eff in (d.get("candidate_eff"), None if ref.get("cached") else ref):
            c, j = race_timed_s(eff)
            cand, judge = cand + c, judge + j
    return cand, judge


# --- steps -------------------------------------------------------------------------------------
def steps(n_tasks: int) -> None:
    """The builder's visible tests and the Scorer's grade of each task, twice: the first grade
    of a task and a later one (the same candidate again; with a reference cache, the reference
    is not raced again). Works on any tree whose Scorer has `grade(task, code, weights=...)`."""
    import inspect

    from actors.scorer import grade as G
    from actors.scorer.metrics import weights_from
    from bench.builder import bank_tasks
    from ops.ground.config import Config
    from sandbox import Limits, Pool, run_tests

    base_cpu, base_wall = sandbox_run_cpu()
    print(f"baseline: one bare run_tests call = {base_cpu * 1000:.1f} ms CPU ({base_wall * 1000:.1f} ms wall)")
    tasks = bank_tasks(n_tasks, "s")
    pool = Pool(size=1)  # one server: every step's runs are in one tree, one at a time
    meter = CpuMeter(pool)
    lim = Limits()
    weights = weights_from(Config().scorer)
    extra: dict[str, Any] = {}
    if "references" in inspect.signature(G.grade).parameters:
        from actors.scorer.references import ReferenceBook
        extra["references"] = ReferenceBook()
    rows: dict[str, float] = {}
    timed: dict[str, float] = {}
    worst: list[tuple[float, str]] = []  # (first grade's CPU outside the timed calls, what the task is)

    def step(name: str, fn: Any, *args: Any, **kw: Any) -> Any:
        c0 = meter.now()
        out = fn(*args, **kw)
        rows[name] = rows.get(name, 0.0) + meter.now() - c0
        return out
    run_tests("def f():\n    pass\n", "assert candidate() is None", entry_point="f", limits=lim, server=pool)
    raced = 0
    for t in tasks:
        step("visible tests", run_tests, t["reference"], t["visible_tests"], entry_point=t["entry_point"],
             context=t.get("context") or "", limits=G.task_limits(lim, t.get("constraints")), server=pool)
        raced += bool((t.get("meta") or {}).get("efficiency"))
        for name in ("grade, first", "grade, again"):
            before = rows.get(name, 0.0)
            graded = step(name, G.grade, t, t["reference"], weights=weights, limits=lim, server=pool, **extra)
            in_calls = sum(timed_cpu([graded["details"]]))
            timed[name] = timed.get(name, 0.0) + in_calls
            if name == "grade, first":
                race = ((t.get("meta") or {}).get("efficiency") or {}).get("setup", "no race")
                worst.append((rows[name] - before - in_calls, f"{t['id']} ({t['skill']}; race setup: {race})"))
    pool.close()
    n = len(tasks)
    print(f"{n} task-bank tasks ({raced} with an efficiency race), each answered with its reference; "
          f"CPU per task, this process + fork server + runs:")
    for name, total in rows.items():
        t_ms = timed.get(name, 0.0) / n * 1000
        print(f"  {name:<14}{total / n * 1000:8.1f} ms, of which timed calls (both sides) {t_ms:6.1f} ms; "
              f"without them {(total / n * 1000 - t_ms) / (base_cpu * 1000):5.2f} baseline runs")
    print("the costliest first grades outside the timed calls (the race's data: setup, arguments sent, results "
          "encoded, decoded and compared):")
    for cpu, what in sorted(worst, reverse=True)[:4]:
        print(f"  {cpu * 1000:7.1f} ms = {cpu / base_cpu:5.2f} baseline runs  {what}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("steps", help="the sandbox steps of a bank task, one by one, in this process")
    s.add_argument("--tasks", type=int, default=40)
    args = p.parse_args()
    if args.mode == "steps":
        steps(args.tasks)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    main()
