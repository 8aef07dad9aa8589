"""The chaos run of tests/test_chaos.py, longer and several times in a row (issue 10's figures).

    python bench/chaos.py [--runs 5] [--tasks 40] [--kill-s 180] [--builders 2] [--seed 1]

Each run takes a fresh home: the real daemon (memory, scorer with the real sandbox, trainer,
N builders) works through `cogloop import humaneval --limit TASKS` on a scripted model that
answers in 1-2.5 s, while a random actor is killed -9 every 2-5 s for KILL_S seconds and the
supervisor once (then `cogloop up` again); then every assertion of the chaos test is checked
(tests/chaos.py: terminal tasks, passes agreeing three ways, the record's invariants,
integrity, every kill on record, no process left after `down`). One line per run (kills,
imported tasks by status, passes, lost attempts, mismatches, each mismatch below it) and a
total. Exit 1 when any run had a mismatch. It runs in a pid namespace of its own
(tests/pidns.py), so "no process left" counts every process the run started.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pidns  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--kill-s", type=float, default=180.0)
    ap.add_argument("--builders", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true", help="print each kill")
    args = ap.parse_args()
    if not pidns.inside():
        print(f"bench/chaos.py: {pidns.run(list(sys.orig_argv))}", file=sys.stderr)
    from tests.chaos import ChaosPlan, run_chaos

    kills = tasks = mismatches = lost = 0
    for n in range(1, args.runs + 1):
        plan = ChaosPlan(tasks=args.tasks, builders=args.builders, kill_s=args.kill_s, seed=args.seed + n)
        with tempfile.TemporaryDirectory(prefix="cogloop-chaos-") as tmp:
            result = run_chaos(Path(tmp) / "home", plan, log=print if args.verbose else lambda s: None)
        print(f"run {n}: {result.summary()}", flush=True)
        for line in result.mismatches:
            print(f"    mismatch: {line}", flush=True)
        kills += len(result.kills)
        tasks += sum(result.tasks.values())
        mismatches += len(result.mismatches)
        lost += result.lost
    print(f"total: {args.runs} runs, {kills} kills, {tasks} imported tasks, {lost} lost attempts, "
          f"{mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
