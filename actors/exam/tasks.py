"""Choosing an exam: pure, deterministic, tested without processes.

    draft = select_exam(ExamSpec(tasks=80), training_prompts=keys, training_generators=gens)

- **Seeds training never uses.** Exam tasks come from the task bank at negative seeds;
  training seeds are 0 or more (`trainer.seed` >= 0 is enforced by the configuration).
- **Reserved generators.** At each (skill, difficulty) with two or more generators, one that
  training has not drawn from yet is reserved: the exam's *held-out-generator* part comes from
  these, and the Trainer never sets them (`ExamGuard`). A level's only generator is never
  reserved: the Trainer would have nothing to set there. The *seen-generator* part comes from
  the other generators: the same function with other constants, where reusing memory is
  legitimate.
- **No exact duplicates** of a prompt training has seen (or of another exam task).
- Optional HumanEval problems (converted by the caller) join the held-out part unless
  training has had them.

The seen part is spread round-robin over the levels, the held-out part over the reserved
generators; `heldout_share` of the tasks are held-out (when any generator could be reserved).
The chosen tasks are then put in a seeded random order, so the first N of them (`--limit`, or
a run stopped early) are a fair sample of the whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

from actors.exam.guard import ExamGuard, generator_of, prompt_key
from actors.trainer.taskbank import MAX_DIFFICULTY, MIN_DIFFICULTY, SKILLS, make_draft, make_task

PROBES = 64  # seeds tried per level to find its generators (a 1-in-4 variant is missed with p < 1e-7)
MAX_SEEDS = 4000  # seeds tried per level before giving up on filling it
SEEN, HELDOUT = "seen", "heldout"


class ExamSpecError(ValueError):
    """An exam specification that cannot be met (one line)."""


@dataclass(frozen=True)
class ExamSpec:
    tasks: int = 80
    difficulties: tuple[int, ...] = (1, 2)
    skills: tuple[str, ...] = SKILLS
    heldout_share: float = 0.25
    seed: int = 0  # which seeds, and which generators are reserved

    def __post_init__(self) -> None:
        if not 1 <= self.tasks <= 2000:
            raise ExamSpecError(f"tasks: expected 1 to 2000, got {self.tasks}")
        if not self.difficulties or any(not MIN_DIFFICULTY <= d <= MAX_DIFFICULTY for d in self.difficulties):
            raise ExamSpecError(f"difficulties: expected values from {MIN_DIFFICULTY} to {MAX_DIFFICULTY}, "
                                f"got {list(self.difficulties)}")
        unknown = [s for s in self.skills if s not in SKILLS]
        if unknown or not self.skills:
            raise ExamSpecError(f"skills: unknown {unknown[0]!r} (known: {', '.join(SKILLS)})" if unknown
                                else "skills: at least one")
        if not 0.0 <= self.heldout_share <= 1.0:
            raise ExamSpecError(f"heldout_share: expected 0 to 1, got {self.heldout_share}")
        if self.seed < 0:
            raise ExamSpecError(f"seed: expected 0 or more, got {self.seed}")

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "difficulties": list(self.difficulties), "skills": list(self.skills),
                "heldout_share": self.heldout_share, "seed": self.seed}


@dataclass
class ExamDraft:
    spec: ExamSpec
    tasks: list[dict[str, Any]]  # {"id", "position", "generator", "part", "prompt_key", "task"}
    reserved: list[str]  # generators held out of training
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> candidates dropped
    shortfall: int = 0  # tasks asked for but not found

    def guard(self) -> ExamGuard:
        return ExamGuard.from_lists(self.reserved, (t["prompt_key"] for t in self.tasks))


def exam_seed(spec_seed: int, j: int) -> int:
    """The j-th exam seed: always negative, so never a training seed."""
    return -1 - (j + 1_000_003 * spec_seed)


def _order(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


class _Level:
    """The bank tasks of one (skill, difficulty) at exam seeds, made as they are needed (a draft
    names its generator; the whole task, which runs the reference on every case, only when taken)."""

    def __init__(self, skill: str, difficulty: int, seed: int) -> None:
        self.skill, self.difficulty, self.seed = skill, difficulty, seed
        self._gens: list[str] = []
        self._tasks: dict[int, dict[str, Any]] = {}

    def generator(self, j: int) -> str:
        while len(self._gens) <= j:
            draft = make_draft(self.skill, self.difficulty, exam_seed(self.seed, len(self._gens)))
            self._gens.append(f"{self.skill}/{draft.entry_point}")
        return self._gens[j]

    def task(self, j: int) -> dict[str, Any]:
        if j not in self._tasks:
            self._tasks[j] = make_task(self.skill, self.difficulty, exam_seed(self.seed, j))
        return self._tasks[j]

    def generators(self) -> list[str]:
        return sorted({self.generator(j) for j in range(PROBES)})

    def stream(self, keep: set[str] | None = None, drop: set[str] | None = None) -> Iterator[dict[str, Any]]:
        for j in range(MAX_SEEDS):
            g = self.generator(j)
            if (keep is None or g in keep) and (drop is None or g not in drop):
                yield self.task(j)


def reserve(levels: Sequence[_Level], training_generators: set[str], seed: int) -> list[str]:
    """One untrained generator per level that has two or more generators."""
    out = []
    for level in levels:
        gens = level.generators()
        free = [g for g in gens if g not in training_generators]
        if len(gens) >= 2 and free:
            out.append(min(free, key=lambda g: _order(seed, g)))
    return out


def select_exam(spec: ExamSpec, *, training_prompts: Iterable[str] = (), training_generators: Iterable[str] = (),
                humaneval: Sequence[Mapping[str, Any]] = ()) -> ExamDraft:
    """The exam's tasks for `spec`, given what training has seen (prompt keys and generators)."""
    trained_prompts = set(training_prompts)
    trained_gens = set(training_generators)
    levels = [_Level(s, d, spec.seed) for d in sorted(set(spec.difficulties)) for s in spec.skills]
    reserved = reserve(levels, trained_gens, spec.seed) if spec.heldout_share > 0 else []
    dropped = {"training_duplicate": 0, "exam_duplicate": 0}
    chosen: list[tuple[str, dict[str, Any]]] = []
    keys: set[str] = set()

    def take(task: Mapping[str, Any], part: str) -> bool:
        key = prompt_key(task.get("prompt"))
        if key in trained_prompts:
            dropped["training_duplicate"] += 1
            return False
        if key in keys:
            dropped["exam_duplicate"] += 1
            return False
        keys.add(key)
        chosen.append((part, dict(task)))
        return True

    for t in humaneval:
        take(t, SEEN if generator_of(t) in trained_gens else HELDOUT)
    room = max(0, spec.tasks - len(chosen))
    n_heldout = min(room, round(spec.tasks * spec.heldout_share)) if reserved else 0
    by_gen = {g: lv for lv in levels for g in lv.generators() if g in reserved}
    _round_robin([by_gen[g].stream(keep={g}) for g in reserved], n_heldout, lambda t: take(t, HELDOUT))
    _round_robin([lv.stream(drop=set(reserved)) for lv in levels], room - n_heldout, lambda t: take(t, SEEN))

    # a seeded shuffle, so any prefix (--limit N, a stopped run) mixes parts, skills and levels
    chosen.sort(key=lambda pt: _order(spec.seed, prompt_key(pt[1].get("prompt"))))
    tasks = []
    for i, (part, task) in enumerate(chosen):
        tasks.append({"id": f"exam-{i + 1:04d}", "position": i, "generator": generator_of(task), "part": part,
                      "prompt_key": prompt_key(task.get("prompt")), "task": task})
    return ExamDraft(spec, tasks, reserved, dropped, max(0, spec.tasks - len(tasks)))


def _round_robin(streams: list[Iterator[dict[str, Any]]], wanted: int, take: Any) -> None:
    """Take `wanted` tasks, one stream after another in turn; a dry stream drops out."""
    live = list(streams)
    got = 0
    while got < wanted and live:
        for s in list(live):
            if got >= wanted:
                break
            for t in s:
                if take(t):
                    got += 1
                    break
            else:
                live.remove(s)
