"""Lessons that are earned: which lessons go into a prompt, and what the record says of each.

Pure functions, no database (tests/test_lessons_policy.py checks them alone); the store applies
them inside the verdict's transaction (store/_lessons.py) and the builder's `lesson.top` ask
uses `pick`.

Lifecycle: a lesson starts in `trial`. For every prompt where it is eligible (its skill), it is
shown with probability `share`, decided by a hash of (task id, lesson id), so a rerun of the
same task draws the same way and the exam reproduces. Each judged attempt records, per eligible
trial lesson, whether it was shown (`lesson_exposures`), so the lesson's effect is the pass
rate with it minus the pass rate without it, from a randomised comparison. Once each side has
`min_uses` attempts, a lesson whose estimate is <= 0 or whose interval lies below zero is
`retired` (never shown again); one whose interval lies above zero is `proven` (always shown
when eligible); otherwise it stays in trial, at most until each side has twice `min_uses`
(then it is retired: an effect too small to find in that many uses is not worth the prompt
room). A clearly harmful lesson stops early: from `EARLY_USES` attempts a side, a 99.9 %
interval wholly below zero retires it (the stricter interval pays for looking again after
every verdict). `uses_needed` is the power calculation behind the
default `min_uses` (docs/store.md, Lessons).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Mapping, Sequence

STATES = ("trial", "proven", "retired")
SHOWN_STATES = ("trial", "proven")  # a retired lesson is never put in a prompt
Z95 = 1.959964  # two-sided 95 %
Z_EARLY = 3.290527  # two-sided 99.9 %: the early look at a harmful lesson
EARLY_USES = 30  # attempts a side before the early look


def uses_needed(base: float = 0.20, lift: float = 0.10, alpha: float = 0.05, power: float = 0.80) -> int:
    """Attempts per side (with the lesson, without it) for a two-sided test at `alpha` to see a
    pass-rate lift of `lift` over `base` with probability `power` (two proportions, normal
    approximation): 294 for +10 points over 20 %."""
    if not (0 < base < 1 and 0 < base + lift < 1 and lift != 0):
        raise ValueError("base and base + lift must lie strictly between 0 and 1, and lift must not be 0")
    z_a, z_b = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    p1 = base + lift
    mean = (base + p1) / 2
    n = (z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(base * (1 - base) + p1 * (1 - p1))) ** 2 / lift ** 2
    return math.ceil(n)


DEFAULT_SHARE = 0.5
DEFAULT_MIN_USES = uses_needed()  # 294


def draw(task_id: Any, lesson_id: Any) -> float:
    """A number in [0, 1) fixed by (task id, lesson id): the lesson is shown when it is below the share."""
    digest = hashlib.sha256(f"{task_id}\x00{lesson_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def pick(lessons: Sequence[Mapping[str, Any]], task_id: Any, share: float,
         limit: int) -> tuple[list[Mapping[str, Any]], list[int]]:
    """(lessons to show, ids of the trial lessons held back) for one prompt.

    `lessons`: the skill's lessons best first, each with `id` and `state`. Proven ones come first
    (in the given order), then the trial lessons the draw admits (lowest draw first, so no trial
    lesson is always crowded out by older ones), at most `limit` in all. A trial lesson the draw
    admitted but the limit cut is neither shown nor held: it is not part of this comparison."""
    proven = [l for l in lessons if l.get("state") == "proven"]
    trial = [l for l in lessons if l.get("state", "trial") == "trial"]
    drawn = sorted((l for l in trial if draw(task_id, l["id"]) < share), key=lambda l: draw(task_id, l["id"]))
    held = [int(l["id"]) for l in trial if draw(task_id, l["id"]) >= share]
    return (proven + drawn)[:max(0, limit)], held


@dataclass(frozen=True)
class Counts:
    """Judged attempts where the lesson was eligible: shown (n, passed) and held back."""
    shown: int = 0
    shown_passed: int = 0
    held: int = 0
    held_passed: int = 0

    def rates(self) -> tuple[float | None, float | None]:
        return (self.shown_passed / self.shown if self.shown else None,
                self.held_passed / self.held if self.held else None)


@dataclass(frozen=True)
class Effect:
    estimate: float  # pass rate shown - pass rate held back (points as a fraction)
    low: float  # 95 % interval (Agresti-Caffo: one pass and one failure added to each side)
    high: float


def effect(c: Counts, z: float = Z95) -> Effect | None:
    """The lesson's effect on the pass rate, or None before both sides have an attempt."""
    if not c.shown or not c.held:
        return None
    p1, p0 = (c.shown_passed + 1) / (c.shown + 2), (c.held_passed + 1) / (c.held + 2)
    se = math.sqrt(p1 * (1 - p1) / (c.shown + 2) + p0 * (1 - p0) / (c.held + 2))
    est = c.shown_passed / c.shown - c.held_passed / c.held
    return Effect(est, p1 - p0 - z * se, p1 - p0 + z * se)


def next_state(state: str, c: Counts, min_uses: int) -> str:
    """The lesson's state after its counts changed. Only `trial` moves: before `min_uses` a side
    only to retired, when from EARLY_USES a side its 99.9 % interval is below zero; at
    `min_uses` retired when the estimate is <= 0 or the interval is below zero, proven when the
    interval is above zero, else still trial — until twice `min_uses` a side, then retired."""
    if state != "trial":
        return state
    if c.shown < min_uses or c.held < min_uses:
        early = c.shown >= EARLY_USES and c.held >= EARLY_USES
        e = effect(c, Z_EARLY) if early else None
        return "retired" if e is not None and e.high < 0 else state
    e = effect(c)
    assert e is not None
    if e.estimate <= 0 or e.high < 0:
        return "retired"
    if e.low > 0:
        return "proven"
    if c.shown >= 2 * min_uses and c.held >= 2 * min_uses:
        return "retired"
    return "trial"
