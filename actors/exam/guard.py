"""What training must never see of the exam: its reserved generators and its exact prompts.

Pure, and free of the task bank, so the Trainer's core imports it without a cycle. The
Trainer asks Memory for the guard (`exam.guard`) and skips any bank task it rejects; exam
creation drops candidates whose prompt training has already seen. Together they keep the
held-out-generator part untrained and no exam prompt in the training record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping


def prompt_key(prompt: Any) -> str:
    """The identity of a prompt for "exact duplicate": its text with whitespace normalised."""
    return hashlib.sha256(" ".join(str(prompt or "").split()).encode()).hexdigest()[:32]


def generator_of(task: Mapping[str, Any]) -> str:
    """A task's generator: the bank's `meta.generator` ("skill/entry_point"), HumanEval's problem
    id, else the task's own id (a hand-written task is its own generator)."""
    meta = task.get("meta") or {}
    if isinstance(meta, Mapping):
        if meta.get("generator"):
            return str(meta["generator"])
        if meta.get("humaneval_id"):
            return f"humaneval/{meta['humaneval_id']}"
    return f"task/{task.get('id', '')}"


@dataclass(frozen=True)
class ExamGuard:
    generators: frozenset[str] = field(default_factory=frozenset)  # reserved for the exam
    prompts: frozenset[str] = field(default_factory=frozenset)  # prompt keys of exam tasks

    @classmethod
    def from_lists(cls, generators: Iterable[str] = (), prompts: Iterable[str] = ()) -> "ExamGuard":
        return cls(frozenset(map(str, generators)), frozenset(map(str, prompts)))

    def allows(self, task: Mapping[str, Any]) -> bool:
        """May training use this task?"""
        return generator_of(task) not in self.generators and prompt_key(task.get("prompt")) not in self.prompts

    def __bool__(self) -> bool:
        return bool(self.generators or self.prompts)
