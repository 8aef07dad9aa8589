"""The procedural task bank: ten skills, difficulties 1..10, deterministic by seed.

    from actors.trainer.taskbank import SKILLS, SKILL_MAP, make_task
    task = make_task("graphs", 6, seed=42)     # a task dict of docs/contracts.md

Every task has a reference solution, and its visible, hidden and edge-case tests hold the
values that reference returns, so a task is verifiable without an LLM. The same
(skill, difficulty, seed) always gives the same task; different seeds vary the inputs and,
where a level has several variants, the prompt itself.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

from . import (dicts_hashing, dynamic_programming, graphs, lists, maths, parsing, recursion,
               sorting_searching, stacks_queues, strings)
from ._draft import Draft, build_task

MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 10

_MODULES: dict[str, ModuleType] = {
    "strings": strings,
    "lists": lists,
    "math": maths,
    "recursion": recursion,
    "sorting_searching": sorting_searching,
    "dicts_hashing": dicts_hashing,
    "parsing": parsing,
    "stacks_queues": stacks_queues,
    "dynamic_programming": dynamic_programming,
    "graphs": graphs,
}
SKILLS: tuple[str, ...] = tuple(_MODULES)

# Prerequisites: a skill builds on these (the trainer favours a skill once they are learnt).
SKILL_MAP: dict[str, tuple[str, ...]] = {
    "strings": (),
    "lists": (),
    "math": (),
    "recursion": ("math",),
    "sorting_searching": ("lists",),
    "dicts_hashing": ("lists", "strings"),
    "parsing": ("strings",),
    "stacks_queues": ("lists",),
    "dynamic_programming": ("recursion", "lists"),
    "graphs": ("dicts_hashing", "recursion"),
}


class UnknownSkill(ValueError):
    """A skill the task bank has no generator for."""


def make_draft(skill: str, difficulty: int, seed: int) -> Draft:
    if skill not in _MODULES:
        raise UnknownSkill(f"unknown skill {skill!r} (known: {', '.join(SKILLS)})")
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or not MIN_DIFFICULTY <= difficulty <= MAX_DIFFICULTY:
        raise ValueError(f"difficulty must be an int from {MIN_DIFFICULTY} to {MAX_DIFFICULTY}, got {difficulty!r}")
    # A string seed is hashed with SHA-512 by `random`, so it is stable across processes.
    rng = random.Random(f"{skill}:{difficulty}:{seed}")
    return _MODULES[skill].LEVELS[difficulty - 1](rng)


def make_task(skill: str, difficulty: int, seed: int) -> dict[str, Any]:
    """One trainer task for (skill, difficulty, seed); the same arguments give the same task."""
    return build_task(skill, difficulty, seed, make_draft(skill, difficulty, seed))


def skill_map() -> dict[str, Any]:
    """The skill map as JSON (for `cogloop export`'s skill_map.json)."""
    return {s: {"prerequisites": list(SKILL_MAP[s]), "difficulties": [MIN_DIFFICULTY, MAX_DIFFICULTY]} for s in SKILLS}


__all__ = ["SKILLS", "SKILL_MAP", "UnknownSkill", "make_task", "make_draft", "skill_map",
           "MIN_DIFFICULTY", "MAX_DIFFICULTY"]
