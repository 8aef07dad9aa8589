"""Helpers shared by the store tests: a valid task, and a Store on a fake clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store import Store


def task(n: int = 0, **changes: Any) -> dict[str, Any]:
    """A small valid task; `n` makes the title distinct."""
    t = {"title": f"Add #{n}", "prompt": "def add(a, b):\n    ...\n", "skill": "math", "difficulty": 2,
         "entry_point": "add", "visible_tests": "assert candidate(1, 2) == 3\n",
         "hidden_tests": "assert candidate(2, 2) == 4\n", "edge_tests": "assert candidate(0, 0) == 0\n",
         "reference": "def add(a, b):\n    return a + b\n"}
    t.update(changes)
    return t


class Clock:
    """A clock the test moves by hand: lease expiry without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def tick(self, seconds: float = 0.001) -> None:
        self.t += seconds


def open_store(path: Path, clock: Clock | None = None, **kw: Any) -> Store:
    return Store.open(path, clock=clock or Clock(), **kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    """A fresh Store on the fake clock (import this fixture into a test module)."""
    s = open_store(tmp_path / "history.db", clock)
    yield s
    s.close()


def judge(store: Store, lease: dict[str, Any], passed: bool = True, **kw: Any) -> dict[str, Any]:
    """Record the Scorer's verdict on a leased attempt (what Memory's score.record does)."""
    score = {"attempt_id": lease["attempt_id"], "task_id": lease["task"]["id"], "total": 1.0 if passed else 0.1,
             "passed": passed}
    return store.record_score(score, lease_id=lease["lease_id"], **kw)
