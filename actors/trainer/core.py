"""The Trainer's state machine without any I/O: profile in, tasks and snapshots out.

The actor shell (actor.py) feeds it scores from the bus and sends what it returns; tests and
the simulated-student benchmark drive it directly.
"""

from __future__ import annotations

import copy
import random
from typing import Any, Mapping

from actors.exam.guard import ExamGuard

from . import policy
from .policy import PolicyParams
from .taskbank import make_task

REVIEW_PRIORITY = 1  # review tasks jump ahead of other trainer tasks (never ahead of user tasks)
REDRAWS = 50  # other seeds tried when the exam guards a task (a level's reserved variant, an exam prompt)
REDRAW_STEP = 1_000_000_007  # redrawn seeds stay >= 0 and clear of the plan's own seeds


class TrainerCore:
    def __init__(self, params: PolicyParams = PolicyParams(), seed: int = 0,
                 profile: Mapping[str, Any] | None = None) -> None:
        self.params = params
        self.seed = seed
        self.profile = policy.new_profile(params)
        self.rejected_profile: list[str] = []
        self.guarded = 0  # planned slots left empty because every redraw was the exam's
        if profile is not None:
            self.load(profile)

    def load(self, profile: Mapping[str, Any]) -> bool:
        """Resume from a snapshot; a snapshot that does not validate is ignored (and kept aside)."""
        problems = policy.validate_profile(profile)
        if problems:
            self.rejected_profile = problems
            return False
        fresh = policy.new_profile(self.params)
        loaded = copy.deepcopy(dict(profile))
        for skill, state in fresh["skills"].items():  # skills added since the snapshot start fresh
            loaded["skills"].setdefault(skill, state)
        self.profile = loaded
        return True

    def observe(self, score: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Fold a score into the profile; raises ValueError for a score without skill/difficulty."""
        return policy.observe(self.profile, score, self.params)

    def topup(self, stats: Mapping[str, Any], builders: int, low_water_per_builder: int,
              guard: ExamGuard | None = None) -> list[dict[str, Any]]:
        """The trainer tasks to add so the queue holds its low-water mark; none that the exam
        guards (a generator reserved for it, or one of its prompts)."""
        count = policy.topup_count(stats, builders, low_water_per_builder)
        # Seeded by the profile's pick counter: a restarted trainer continues the same sequence.
        rng = random.Random(f"trainer:{self.seed}:{self.profile['picks']}")
        tasks = []
        for item in policy.plan_tasks(self.profile, count, rng, self.params):
            task = self._allowed_task(item, guard if guard is not None else ExamGuard())
            if task is None:
                self.guarded += 1
                continue
            if item["review"]:
                task["priority"] = REVIEW_PRIORITY
                task["meta"]["review"] = True
            tasks.append(task)
        return tasks

    def _allowed_task(self, item: Mapping[str, Any], guard: ExamGuard) -> dict[str, Any] | None:
        """The planned task, or the first redraw (same skill and level, another seed) the exam
        guard allows; None when none is (the slot is filled at the next top-up)."""
        base = item["seed"] + 1_000_003 * self.seed
        for k in range(REDRAWS + 1):
            task = make_task(item["skill"], item["difficulty"], base + k * REDRAW_STEP)
            if guard.allows(task):
                return task
        return None

    def snapshot(self) -> dict[str, Any]:
        """A JSON-friendly copy of the profile for `profile.snapshot`."""
        return copy.deepcopy(self.profile)

    def status(self) -> dict[str, Any]:
        return {**policy.analysis(self.profile, self.params),
                "difficulties": {s: st["difficulty"] for s, st in self.profile["skills"].items()}}
