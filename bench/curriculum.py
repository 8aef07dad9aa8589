"""Curriculum benchmark: the Trainer against two baselines on the same simulated students.

    python bench/curriculum.py [--seeds N] [--tasks T]

Each seed makes one simulated builder (hidden per-skill abilities spread over 1..8.5,
success = sigmoid(ability - difficulty), +0.015 ability per practice, one strong skill
dropping by 3 at task 150) and runs, with the same dice:
  trainer              the Trainer's skill strategy and adaptive difficulty
  fixed-difficulty(5)  the same skill strategy, every task at difficulty 5
  random-skill         a uniformly random skill at the Trainer's difficulty for it
All three estimate abilities with the same model, so the columns compare the choices.
Columns (medians over seeds unless noted):
  band@     tasks until the success rate over the last 20 tasks first lies in the target band
  in-band   share of 20-task windows whose success rate lies in the band
  rho@100/200/300  Spearman correlation of estimated vs hidden abilities (goal >= 0.9 at 300)
  detect    tasks from the regression until that skill is flagged (missed: not by the end)
  false     false regression alarms per run (mean)
  coverage  skills practised / skills (min over seeds), and the fewest practices of any skill
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.trainer.policy import PolicyParams  # noqa: E402
from actors.trainer.simstudent import compare  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--tasks", type=int, default=300)
    args = ap.parse_args(argv)
    params = PolicyParams()
    start = time.perf_counter()
    by_name: dict[str, list] = {}
    for seed in range(args.seeds):
        for result in compare(seed, tasks=args.tasks, params=params):
            by_name.setdefault(result.name, []).append(result)
    elapsed = time.perf_counter() - start

    def med(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    header = (f"{'policy':<21} {'band@':>6} {'in-band':>8} {'rho@100':>8} {'rho@200':>8} {'rho@300':>8} "
              f"{'min rho@300':>11} {'detect':>7} {'missed':>7} {'false':>6} {'coverage':>9} {'min practice':>12}")
    print(f"{args.seeds} simulated students x {args.tasks} tasks, target band "
          f"{params.target_low:.0%}-{params.target_high:.0%}, regression at task 150 ({elapsed:.1f} s)")
    print(header)
    print("-" * len(header))
    for name, results in by_name.items():
        bands = [r.tasks_to_band() for r in results]
        detects = [r.detection_delay() for r in results]
        found = [d for d in detects if d is not None]
        rho = {k: [r.rho_at[k] for r in results if k in r.rho_at] for k in (100, 200, 300)}
        print(f"{name:<21} {med([b for b in bands if b is not None]):>6.0f} "
              f"{med([r.share_in_band() for r in results]):>8.2f} "
              f"{med(rho[100]):>8.3f} {med(rho[200]):>8.3f} {med(rho[300]):>8.3f} {min(rho[300]):>11.3f} "
              f"{med(found):>7.0f} {len(detects) - len(found):>4}/{len(detects):<2} "
              f"{statistics.mean(r.false_alarms() for r in results):>6.2f} "
              f"{min(r.coverage() for r in results):>9.0%} "
              f"{min(min(r.practice.values()) for r in results):>12}")
    trainer, fixed = by_name["trainer"], by_name["fixed-difficulty(5)"]
    ratio = med([r.share_in_band() for r in trainer]) / max(1e-9, med([r.share_in_band() for r in fixed]))
    print(f"\ntime in the target band, trainer / fixed-difficulty baseline: {ratio:.1f}x")
    goal = med([r.rho_at[300] for r in trainer if 300 in r.rho_at])
    print(f"rank correlation after 300 tasks (trainer, median): {goal:.3f}  goal >= 0.9: "
          f"{'met' if goal >= 0.9 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
