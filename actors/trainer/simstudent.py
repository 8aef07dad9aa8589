"""A simulated builder and a harness that runs a curriculum policy against it. Pure.

The simulated student has a hidden ability per skill; it passes a task of difficulty d with
probability sigmoid(ability - d) — the same shape the Trainer assumes, so a good policy can
recover the abilities — its abilities grow a little with each practice, and one skill
regresses by a large step midway. Used by tests/test_trainer_policy.py and bench/curriculum.py
to compare the Trainer with a fixed-difficulty and a random-skill baseline on the same student.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .policy import PolicyParams, adjust_difficulty, new_profile, next_skill, observe, sigmoid
from .taskbank import SKILLS


@dataclass
class Student:
    abilities: dict[str, float]
    growth: float = 0.015  # ability gained per task practised (half on a failure)
    regress_skill: str | None = None
    regress_at: int = -1  # the task index at which regress_skill drops
    regress_by: float = 3.0
    tasks_done: int = 0

    @classmethod
    def make(cls, seed: int, skills: Sequence[str] = SKILLS, lo: float = 1.0, hi: float = 8.5,
             regress_at: int = 150) -> "Student":
        """Abilities spread evenly from lo to hi in a seeded order; a strong skill regresses."""
        rng = random.Random(f"student:{seed}")
        levels = [lo + (hi - lo) * i / (len(skills) - 1) for i in range(len(skills))]
        rng.shuffle(levels)
        abilities = dict(zip(skills, levels))
        strong = sorted(skills, key=abilities.get)[-3]  # the third strongest: room to fall
        return cls(abilities=abilities, regress_skill=strong, regress_at=regress_at)

    def attempt(self, skill: str, difficulty: int, rng: random.Random) -> dict[str, Any]:
        """Try one task; returns a score-like dict."""
        if self.tasks_done == self.regress_at and self.regress_skill:
            self.abilities[self.regress_skill] -= self.regress_by
        passed = rng.random() < sigmoid(self.abilities[skill] - difficulty)
        self.abilities[skill] += self.growth * (1.0 if passed else 0.5)
        self.tasks_done += 1
        return {"skill": skill, "difficulty": difficulty, "passed": passed, "correctness": float(passed)}


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    def ranks(vs: Sequence[float]) -> list[float]:
        order = sorted(range(len(vs)), key=lambda i: vs[i])
        out = [0.0] * len(vs)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and vs[order[j + 1]] == vs[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


Chooser = Callable[[dict, random.Random, PolicyParams], tuple[str, int]]


def trainer_choice(profile: dict, rng: random.Random, params: PolicyParams) -> tuple[str, int]:
    skill = next_skill(profile, rng, params)
    difficulty = adjust_difficulty(profile, skill, params)
    profile["skills"][skill]["difficulty"] = difficulty
    return skill, difficulty


def fixed_difficulty_choice(level: int = 5) -> Chooser:
    """Baseline: the Trainer's skill strategy, but always the same difficulty."""
    def choose(profile: dict, rng: random.Random, params: PolicyParams) -> tuple[str, int]:
        skill = next_skill(profile, rng, params)
        profile["skills"][skill]["difficulty"] = level
        return skill, level
    return choose


def random_skill_choice(profile: dict, rng: random.Random, params: PolicyParams) -> tuple[str, int]:
    """Baseline: a uniformly random skill at the Trainer's difficulty for it."""
    skill = rng.choice(sorted(profile["skills"]))
    difficulty = adjust_difficulty(profile, skill, params)
    profile["skills"][skill]["difficulty"] = difficulty
    return skill, difficulty


@dataclass
class RunResult:
    name: str
    outcomes: list[bool] = field(default_factory=list)
    practice: dict[str, int] = field(default_factory=dict)
    rho_at: dict[int, float] = field(default_factory=dict)
    regression_events: list[dict] = field(default_factory=list)
    regress_skill: str | None = None
    regress_at: int = -1
    profile: dict = field(default_factory=dict)
    window: int = 20
    band: tuple[float, float] = (0.6, 0.8)

    def tasks_to_band(self) -> int | None:
        """Tasks until the success rate over the last `window` tasks first lies in the band."""
        lo, hi = self.band
        for i in range(self.window, len(self.outcomes) + 1):
            rate = sum(self.outcomes[i - self.window:i]) / self.window
            if lo <= rate <= hi:
                return i
        return None

    def share_in_band(self) -> float:
        """Of all windows after the first, the share whose success rate lies in the band."""
        lo, hi = self.band
        rates = [sum(self.outcomes[i - self.window:i]) / self.window
                 for i in range(self.window, len(self.outcomes) + 1)]
        return sum(lo <= r <= hi for r in rates) / len(rates) if rates else 0.0

    def detection_delay(self) -> int | None:
        """Tasks from the regression until the policy flagged that skill (None: never)."""
        for ev in self.regression_events:
            if ev["skill"] == self.regress_skill and ev["task"] >= self.regress_at:
                return ev["task"] - self.regress_at
        return None

    def false_alarms(self) -> int:
        return sum(1 for ev in self.regression_events
                   if ev["skill"] != self.regress_skill or ev["task"] < self.regress_at)

    def coverage(self) -> float:
        return sum(1 for n in self.practice.values() if n) / len(self.practice)


def run(name: str, chooser: Chooser, *, seed: int, tasks: int = 300, regress_at: int = 150,
        params: PolicyParams = PolicyParams(), checkpoints: Sequence[int] = (100, 200, 300)) -> RunResult:
    """One policy against a fresh simulated student; every policy shares the ability model."""
    student = Student.make(seed, regress_at=regress_at)
    rng = random.Random(f"policy:{name}:{seed}")
    luck = random.Random(f"luck:{seed}")  # the student's dice, the same stream for every policy
    profile = new_profile(params)
    result = RunResult(name=name, practice={s: 0 for s in SKILLS}, regress_skill=student.regress_skill,
                       regress_at=regress_at, band=(params.target_low, params.target_high))
    for t in range(tasks):
        skill, difficulty = chooser(profile, rng, params)
        score = student.attempt(skill, difficulty, luck)
        result.outcomes.append(score["passed"])
        result.practice[skill] += 1
        for ev in observe(profile, score, params):
            result.regression_events.append({**ev, "task": t})
        if t + 1 in checkpoints:
            names = sorted(SKILLS)
            result.rho_at[t + 1] = spearman([profile["skills"][s]["mu"] for s in names],
                                            [student.abilities[s] for s in names])
    result.profile = profile
    return result


def compare(seed: int, tasks: int = 300, params: PolicyParams = PolicyParams()) -> list[RunResult]:
    """The Trainer and both baselines on identical students (same seed, same dice)."""
    return [run("trainer", trainer_choice, seed=seed, tasks=tasks, params=params),
            run("fixed-difficulty(5)", fixed_difficulty_choice(5), seed=seed, tasks=tasks, params=params),
            run("random-skill", random_skill_choice, seed=seed, tasks=tasks, params=params)]
