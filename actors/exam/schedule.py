"""When the Trainer runs the exam during training (`trainer.exam_every`). Pure.

The exam runs after every `every` scored training attempts: at `every`, `2 * every`, ... The
last run's count comes from the store, so a restarted Trainer neither repeats a run nor skips
one; a run still going is never doubled.
"""

from __future__ import annotations


def exam_due(attempts: int, every: int, last_run_at: int | None, running: bool = False) -> bool:
    """Is an exam run due after `attempts` scored training attempts?"""
    if every <= 0 or running or attempts < every:
        return False
    return last_run_at is None or attempts // every > last_run_at // every
