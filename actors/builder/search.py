"""Which search the Builder runs on a task, learnt from its own record: a bandit over named
searches. Pure; the worker (daemon) and the exam (actors/exam) feed it the record's statistics.

A search is a change of the configured `Strategy` in how candidates are found, never in what
memory goes into the prompt:

| search | samples | repair rounds |
|---|---|---|
| one | 1 | 0 |
| repair | 1 | the configured rounds, or 2 |
| resample | the configured k, or 4 | 0 |

The statistics are {(skill, difficulty, search): Cell(n, passed, tokens)} from scored attempts
(the Scorer's verdict, every candidate's tokens). A search's utility is its pass rate minus
`cost_weight` per 1000 tokens an attempt spends, so a pass is worth far more than tokens while
equal pass rates go to the cheaper search. Each search's pass rate at the task's (skill,
difficulty) is a Beta posterior pooled from the record (`estimate`): the other skills' record
counts as a prior worth at most `PRIOR_TRIES` tries, then the skill's other difficulties
likewise, then the cell's own tries in full — a sparse cell follows its skill, a new skill
follows everything, and enough tries of its own outweigh both. A search never tried anywhere
is tried first (cheapest first); otherwise
the daemon draws each pass rate from its Beta posterior (Thompson sampling, seeded by the task
id and attempt number so a choice reproduces) and takes the best utility drawn; the exam (`exploit`) takes the best
posterior mean, ties to the cheaper, and without any record `one`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from actors.builder.strategy import Strategy

SEARCHES = ("one", "repair", "resample")  # in order of cost, cheapest first (the tie-break)
DEFAULT_REPAIR_ROUNDS, DEFAULT_K = 2, 4
PRIOR_TRIES = 20  # the wider record counts as at most this many tries at a narrower level
LEVELS = ("cell", "skill", "all")  # (skill, difficulty), skill, everything
STATS_EVERY_S = 60.0  # the daemon reads the record's statistics this often (its own verdicts at once)


@dataclass(frozen=True)
class Cell:
    """Scored attempts of one search somewhere: how many, how many passed, their tokens."""
    n: int = 0
    passed: int = 0
    tokens: int = 0

    def __add__(self, other: "Cell") -> "Cell":
        return Cell(self.n + other.n, self.passed + other.passed, self.tokens + other.tokens)

    @property
    def mean(self) -> float:
        """The posterior mean pass rate under a uniform prior (Laplace)."""
        return (self.passed + 1) / (self.n + 2)

    @property
    def tokens_per_try(self) -> float:
        return self.tokens / self.n if self.n else 0.0


Key = tuple[str, int, str]  # (skill, difficulty, search)
Stats = Mapping[Key, Cell]


@dataclass(frozen=True)
class Choice:
    search: str
    level: str  # where the statistics came from: cell, skill or all
    reason: str  # untried, sampled, best, no record

    def to_dict(self) -> dict[str, str]:
        d = {"search": self.search, "search_level": self.level, "search_reason": self.reason}
        return {k: v for k, v in d.items() if v}


def searches(base: Strategy) -> dict[str, Strategy]:
    """The named searches as changes of `base` (memory settings untouched)."""
    return {"one": base.replace(samples=1, repair_rounds=0),
            "repair": base.replace(samples=1, repair_rounds=base.repair_rounds or DEFAULT_REPAIR_ROUNDS),
            "resample": base.replace(samples=base.samples if base.samples > 1 else DEFAULT_K, repair_rounds=0)}


def name_of(strategy: Strategy, base: Strategy) -> str:
    """The search `strategy` runs, or "custom" (say repair rounds and several samples at once),
    so a fixed strategy's attempts count towards the search they are."""
    for name, s in searches(base).items():
        if (s.samples, s.repair_rounds) == (strategy.samples, strategy.repair_rounds):
            return name
    return "custom"


def stats_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[Key, Cell]:
    """The store's rows {skill, difficulty, search, n, passed, tokens} as Stats (unknown
    searches and malformed rows left out: the record is read, never trusted)."""
    out: dict[Key, Cell] = {}
    for r in rows:
        try:
            key = (str(r["skill"]), int(r["difficulty"]), str(r["search"]))
            cell = Cell(int(r["n"]), int(r["passed"] or 0), int(r["tokens"] or 0))
        except (KeyError, TypeError, ValueError):
            continue
        if key[2] in SEARCHES and cell.n > 0:
            out[key] = out.get(key, Cell()) + cell
    return out


def add(stats: Mapping[Key, Cell], skill: str, difficulty: int, search: str, passed: bool,
        tokens: int) -> dict[Key, Cell]:
    """Stats with one more scored attempt (the worker's own, before the next read)."""
    key = (skill, int(difficulty), search)
    return {**stats, key: stats.get(key, Cell()) + Cell(1, int(bool(passed)), int(tokens))}


@dataclass(frozen=True)
class Estimate:
    """A search's pass rate at a task's (skill, difficulty) as a Beta(a, b) posterior."""
    a: float
    b: float
    tokens_per_try: float
    level: str  # the narrowest level with tries of this search: cell, skill or all
    tries: int  # tries of this search anywhere

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


def _cap(a: float, b: float) -> tuple[float, float]:
    """A prior worth at most PRIOR_TRIES tries (its mean kept)."""
    scale = min(1.0, (PRIOR_TRIES + 2) / (a + b))
    return a * scale, b * scale


def estimate(stats: Stats, skill: str, difficulty: int, name: str) -> Estimate:
    """The search's posterior at the task's cell: a uniform prior, then everything else's record
    (other skills) as a prior worth at most PRIOR_TRIES tries, then the skill's other
    difficulties likewise, then the cell's own tries in full. So a sparse cell follows its skill,
    a new skill follows everything, and enough tries of its own outweigh both."""
    levels = [Cell(), Cell(), Cell()]  # cell, skill, all
    for (s, d, n), cell in stats.items():
        if n == name:
            for i, level in enumerate(LEVELS):
                if _within(level, s, d, skill, difficulty):
                    levels[i] = levels[i] + cell
    a, b = 1.0, 1.0
    for wider, narrower in ((levels[2], levels[1]), (levels[1], levels[0])):
        rest = Cell(wider.n - narrower.n, wider.passed - narrower.passed)
        a, b = _cap(a + rest.passed, b + rest.n - rest.passed)
    a, b = a + levels[0].passed, b + levels[0].n - levels[0].passed
    level = next((LEVELS[i] for i in range(3) if levels[i].n), "all")
    tokens = next((c.tokens_per_try for c in levels if c.n >= 3), levels[2].tokens_per_try)
    return Estimate(a, b, tokens, level, levels[2].n)


def _within(level: str, s: str, d: int, skill: str, difficulty: int) -> bool:
    return level == "all" or (s == skill and (level == "skill" or d == difficulty))


def utility(pass_rate: float, tokens_per_try: float, cost_weight: float) -> float:
    """A pass rate less the token cost: `cost_weight` per 1000 tokens an attempt spends."""
    return pass_rate - cost_weight * tokens_per_try / 1000.0


def seed_of(task_id: str) -> int:
    """A stable seed from a task id (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big")


def choose(stats: Stats, skill: str, difficulty: int, *, task_id: str = "", cost_weight: float = 0.01,
           exploit: bool = False, names: Iterable[str] = SEARCHES) -> Choice:
    """The search for a task of `skill` at `difficulty` (see the module docstring)."""
    names = list(names)
    est = {n: estimate(stats, skill, difficulty, n) for n in names}
    tried = [n for n in names if est[n].tries > 0]
    if not tried:
        return Choice(names[0], "", "no record")
    if not exploit and len(tried) < len(names):
        return Choice(next(n for n in names if est[n].tries == 0), "", "untried")
    rng = random.Random(seed_of(task_id))
    rates = {n: est[n].mean if exploit else rng.betavariate(est[n].a, est[n].b) for n in tried}
    # ties to the cheaper: fewer tokens a try, then the cheaper in SEARCHES order
    best = max(tried, key=lambda n: (round(utility(rates[n], est[n].tokens_per_try, cost_weight), 9),
                                     -est[n].tokens_per_try, -names.index(n)))
    return Choice(best, est[best].level, "best" if exploit else "sampled")


class Bandit:
    """The daemon builder's side: the record's statistics read through `fetch(model)` (Memory's
    `search.stats`) at most every `every_s` seconds, the builder's own verdicts added in between,
    so each choice sees every earlier verdict of this builder at no read per task. Statistics
    are of the model that answered last (another model's record says nothing of this one).
    A failed read (`fetch` returns None) keeps the last statistics; before any read succeeded
    the configured search runs, and the next task asks again."""

    def __init__(self, base: Strategy, fetch: Callable[[str | None], Iterable[Mapping[str, Any]] | None], *,
                 cost_weight: float = 0.01, clock: Callable[[], float], every_s: float = STATS_EVERY_S) -> None:
        self.base, self.fetch, self.cost_weight, self.clock, self.every_s = base, fetch, cost_weight, clock, every_s
        self.strategies = searches(base)
        self.stats: dict[Key, Cell] | None = None
        self.read_at = 0.0
        self.model: str | None = None  # the model whose record `stats` is

    def choose(self, task: Mapping[str, Any], seed: str) -> tuple[Strategy, Choice]:
        """The strategy for `task`; `seed` (the task id and attempt number) fixes the draw."""
        if self.stats is None or self.clock() - self.read_at >= self.every_s:
            rows = self.fetch(self.model)  # None: the read failed
            if rows is None and self.stats is None:  # nothing read yet: the configured search; the next task asks again
                return self.base, Choice(name_of(self.base, self.base), "", "no statistics: configured")
            if rows is not None:
                self.stats = stats_from_rows(rows)
            self.read_at = self.clock()
        skill, difficulty = str(task.get("skill") or ""), int(task.get("difficulty") or 1)
        c = choose(self.stats, skill, difficulty, task_id=seed, cost_weight=self.cost_weight)
        return self.strategies[c.search], c

    def learn(self, task: Mapping[str, Any], search: str, passed: bool, tokens: int, model: str | None) -> None:
        """A verdict of this builder's; a new model's answer makes the next choice read its record."""
        if model and model != self.model:
            self.model, self.stats = model, None
        elif self.stats is not None:
            self.stats = add(self.stats, str(task.get("skill") or ""), int(task.get("difficulty") or 1), search,
                             passed, tokens)
