"""The record's rules as pure functions: which verdict is recorded, and what a verdict or a lost
attempt does to its task. The queue and records mixins apply them inside their transactions;
tests/test_store_rules.py checks them without a database.

What counts as an attempt: only a *scored* candidate (a row in `scores`) counts toward the
task's `max_attempts`, so a one-attempt task gets exactly one judged candidate. Work that ends
without a verdict (its builder killed, its lease expired or reclaimed, given back with a
reason) is *lost*: it counts toward `max_lost`, and reaching that ends the task as `error`,
never `failed`. A plain release (a builder stopping or pausing) counts toward neither. Both
counts are read from the record inside the transaction, never kept in a counter that another
operation rewrites.
"""

from __future__ import annotations

FINAL = ("passed", "failed", "cancelled")  # no later verdict changes these
TERMINAL = FINAL + ("error",)  # an `error` task still takes a late verdict


def refuse_verdict(status: str, scored: int, max_attempts: int) -> str | None:
    """Why a verdict on a task in `status` that already has `scored` verdicts is not recorded
    (it would not count, or would count one too many), or None when it is recorded."""
    if status in FINAL:
        return f"the task is already {status}"
    if scored >= max_attempts:
        return f"the task already has its {max_attempts} scored attempt(s)"
    return None


def after_verdict(status: str, passed: bool, scored: int, max_attempts: int, holds: bool) -> str:
    """The task's status once a verdict is recorded; `scored` includes it.

    `holds`: the judged attempt's lease is the task's current lease. A pass always wins (the
    work is never lost, even when its lease expired meanwhile); a failure fails the task at its
    maximum, else gives it back to the queue if this attempt held it, and otherwise leaves it as
    it is (a newer lease is someone else's; an `error` task stays ended)."""
    if passed:
        return "passed"
    if scored >= max_attempts:
        return "failed"
    if holds:
        return "queued"
    return status


def after_loss(lost: int, max_lost: int) -> str:
    """The status of a task whose lease just ended without a verdict; `lost` includes this one."""
    return "error" if lost >= max_lost else "queued"


def error_reason(lost: int, last: str) -> str:
    """Why a task ended as `error`: its losses and the last one's reason."""
    return f"{lost} attempt(s) lost without a verdict; the last: {last}"
