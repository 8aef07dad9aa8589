"""The Trainer's state machine without any I/O: profile in, tasks and snapshots out.

The actor shell (actor.py) feeds it scores from the bus and sends what it returns; tests and
the simulated-student benchmark drive it directly.
"""

from __future__ import annotations

import copy
import random
from typing import Any, Mapping

from . import policy
from .policy import PolicyParams
from .taskbank import make_task

REVIEW_PRIORITY = 1  # review tasks jump ahead of other trainer tasks (never ahead of user tasks)


class TrainerCore:
    def __init__(self, params: PolicyParams = PolicyParams(), seed: int = 0,
                 profile: Mapping[str, Any] | None = None) -> None:
        self.params = params
        self.seed = seed
        self.profile = policy.new_profile(params)
        self.rejected_profile: list[str] = []
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

    def topup(self, stats: Mapping[str, Any], builders: int, low_water_per_builder: int) -> list[dict[str, Any]]:
        """The trainer tasks to add so the queue holds its low-water mark."""
        count = policy.topup_count(stats, builders, low_water_per_builder)
        # Seeded by the profile's pick counter: a restarted trainer continues the same sequence.
        rng = random.Random(f"trainer:{self.seed}:{self.profile['picks']}")
        tasks = []
        for item in policy.plan_tasks(self.profile, count, rng, self.params):
            task = make_task(item["skill"], item["difficulty"], item["seed"] + 1_000_003 * self.seed)
            if item["review"]:
                task["priority"] = REVIEW_PRIORITY
                task["meta"]["review"] = True
            tasks.append(task)
        return tasks

    def snapshot(self) -> dict[str, Any]:
        """A JSON-friendly copy of the profile for `profile.snapshot`."""
        return copy.deepcopy(self.profile)

    def status(self) -> dict[str, Any]:
        return {**policy.analysis(self.profile, self.params),
                "difficulties": {s: st["difficulty"] for s, st in self.profile["skills"].items()}}
