"""The Scorer's own record of recent totals gives the same trend as asking Memory each time."""

from __future__ import annotations

import pytest

from actors.scorer.trends import TrendBook, trend_with

pytestmark = pytest.mark.unit


def db_trend(history: list[tuple[str, float]], attempt_id: str, total: float, window: int) -> float:
    """What the Scorer computed before: scores.recent(limit=window), newest first, minus this attempt."""
    recent = list(reversed(history))[:window]
    return trend_with([t for a, t in recent if a != attempt_id], total, window)


def test_same_trend_as_the_history_after_a_seed_and_many_scores():
    window = 4
    history = [("old-1", 0.2), ("old-2", 0.4)]
    seeds: list[str] = []

    def seed(skill: str) -> list[dict]:
        seeds.append(skill)
        return [{"attempt_id": a, "total": t} for a, t in reversed(history)][:window]  # scores.recent's shape
    book = TrendBook(window, seed)
    totals = [0.5, 0.9, 0.1, 1.0, 0.7, 0.3]
    for i, total in enumerate(totals):
        aid = f"a{i}"
        assert book.trend("math", aid, total) == pytest.approx(db_trend(history, aid, total, window))
        history.append((aid, total))
        book.add("math", aid, total)
    assert seeds == ["math"]  # Memory is asked once per skill, not once per score


def test_a_retried_attempt_counts_once_and_keeps_its_first_total():
    book = TrendBook(3, lambda skill: [])
    book.add("s", "a1", 0.0)
    book.add("s", "a2", 1.0)
    book.add("s", "a1", 0.5)  # the store keeps the first score of an attempt
    assert book.trend("s", "a3", 1.0) == pytest.approx(trend_with([1.0, 0.0], 1.0, 3))
    assert book.trend("s", "a2", 1.0) == pytest.approx(trend_with([0.0], 1.0, 3))


def test_skills_are_separate_and_the_window_is_kept():
    book = TrendBook(2, lambda skill: [{"attempt_id": "x", "total": 1.0}] if skill == "a" else [])
    assert book.trend("a", "n", 0.0) == pytest.approx(-1.0)
    assert book.trend("b", "n", 0.0) == 0.0
    for i in range(5):
        book.add("a", f"k{i}", float(i))
    assert book.trend("a", "n", 5.0) == pytest.approx(1.0)  # only the last one counts with window 2
