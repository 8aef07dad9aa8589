"""The search bandit against fixed searches, simulated: is `builder.search = "auto"` worse?

    python bench/search_bandit.py [--tasks 300] [--runs 40]

A simulation of the policy, not of a model: each task's outcome under each search is drawn
from a per-search pass rate and token cost, and the real `Bandit` (actors/builder/search.py)
chooses from the verdicts of earlier tasks as the daemon's builder does. Two regimes:

- small: the embedded SmolLM2-135M as measured (docs/exam.md, issue 13): one try 8/57,
  repair rounds the same pass rate at ~3.5x the tokens (0 of 33 failed first tries fixed),
  resampling k=4 15/57 at ~3x the tokens.
- strong: a hypothetical strong model that repairs well (one try 50 %, repair 80 %, resampling 65 %).
- mixed: small's rates on two skills, strong's on the other two (a search that pays per skill).

Tasks spread over 4 skills x 3 difficulties (so the bandit pools before cells fill up); the
mixed regime runs 1000 tasks (per skill, its levels need 20 tries of every search). Per
regime and policy: passes per 100 tasks (all, and the second half: after learning) and tokens
per task, averaged over runs; the baseline,
in the same run, is each fixed search (`fixed repair` is today's configured default, repair
rounds 2 and one sample). The figure to read is auto's passes as a share of the best fixed
search's (the regret of learning) and of today's default's.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.builder.search import SEARCHES, Bandit  # noqa: E402
from actors.builder.strategy import Strategy  # noqa: E402

# search -> (pass rate, tokens a try)
REGIMES = {
    "small": {"one": (8 / 57, 400), "repair": (8 / 57, 1400), "resample": (15 / 57, 1200)},
    "strong": {"one": (0.50, 600), "repair": (0.80, 900), "resample": (0.65, 1500)},
}
SKILLS, DIFFICULTIES = ("lists", "strings", "math", "dicts"), (1, 2, 3)
REGIMES["mixed"] = {skill: REGIMES["small" if skill in SKILLS[:2] else "strong"] for skill in SKILLS}


def run_policy(regime: dict, policy: str, tasks: int, seed: int) -> tuple[int, int, int]:
    """(passes, tokens, passes in the second half) over `tasks` tasks; policy is a search name or "auto"."""
    rng = random.Random(seed)
    stats: dict = {}
    bandit = Bandit(Strategy(), lambda model: [], clock=lambda: 0.0, every_s=float("inf"))
    bandit.stats = stats
    passes = tokens = late = 0
    for i in range(tasks):
        task = {"id": f"s{seed}-t{i}", "skill": rng.choice(SKILLS), "difficulty": rng.choice(DIFFICULTIES)}
        name = bandit.choose(task, task["id"])[1].search if policy == "auto" else policy
        rate, cost = (regime[task["skill"]] if task["skill"] in regime else regime)[name]
        ok = rng.random() < rate
        used = int(cost * rng.uniform(0.7, 1.3))
        passes, tokens, late = passes + ok, tokens + used, late + (ok and i >= tasks // 2)
        bandit.learn(task, name, ok, used, None)
    return passes, tokens, late


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=300)
    p.add_argument("--runs", type=int, default=40)
    args = p.parse_args(argv)
    for name, regime in REGIMES.items():
        tasks = max(args.tasks, 1000) if name == "mixed" else args.tasks
        print(f"{name}: {tasks} tasks, {args.runs} runs")
        results = {}
        for policy in (*SEARCHES, "auto"):
            runs = [run_policy(regime, policy, tasks, seed) for seed in range(args.runs)]
            results[policy] = (sum(r[0] for r in runs) / args.runs * 100 / tasks,
                               sum(r[1] for r in runs) / args.runs / tasks,
                               sum(r[2] for r in runs) / args.runs * 100 / (tasks - tasks // 2))
            print(f"  {'auto' if policy == 'auto' else 'fixed ' + policy:15s} "
                  f"passes/100 tasks {results[policy][0]:5.1f} (second half {results[policy][2]:5.1f})"
                  f"   tokens/task {results[policy][1]:6.0f}")
        best = max(SEARCHES, key=lambda s: results[s][0])
        print(f"  auto / best fixed ({best}): {results['auto'][0] / results[best][0]:.2f} passes "
              f"({results['auto'][2] / results[best][2]:.2f} in the second half); "
              f"auto / today's default (fixed repair): {results['auto'][0] / results['repair'][0]:.2f} passes, "
              f"{results['auto'][1] / results['repair'][1]:.2f} tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
