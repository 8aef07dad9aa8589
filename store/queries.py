"""The named history queries (`cogloop history NAME`): each a view of the schema."""

from __future__ import annotations

# name -> (view, what it answers)
HISTORY_QUERIES: dict[str, tuple[str, str]] = {
    "recent": ("recent_attempts", "the latest attempts with their scores"),
    "progress": ("skill_progress", "per skill: attempts, passes, pass rate, hardest difficulty passed"),
    "daily": ("skill_pass_rate", "per skill per day: attempts, passes, pass rate"),
    "queue": ("queue", "tasks waiting or leased, in lease order"),
    "lessons": ("lesson_effects", "per lesson: state, pass rate shown and held back, effect"),
}
