"""RestartTracker without processes: Erlang/OTP-style restarts with the clock passed in."""

from __future__ import annotations

import pytest

from actors.supervision.policy import RestartPolicy, RestartTracker
from ops.ground.config import Config

pytestmark = pytest.mark.unit

POLICY = RestartPolicy(intensity=5, period_s=60.0, backoff_s=0.5, backoff_max_s=4.0)


def crashes(tracker: RestartTracker, at: list[float], ran_for_s: float = 0.1) -> list[float | None]:
    return [tracker.on_crash(t, ran_for_s) for t in at]


def test_first_restart_at_once_then_doubling_backoff_up_to_the_cap():
    tracker = RestartTracker(RestartPolicy(intensity=100, period_s=60.0, backoff_s=0.5, backoff_max_s=4.0))
    assert crashes(tracker, [float(t) for t in range(7)]) == [0.0, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_run_longer_than_the_backoff_cap_is_stable_so_the_next_crash_restarts_at_once():
    tracker = RestartTracker(POLICY)
    assert crashes(tracker, [0.0, 1.0, 2.0]) == [0.0, 0.5, 1.0]
    assert tracker.on_crash(10.0, ran_for_s=POLICY.backoff_max_s + 1) == 0.0
    assert tracker.on_crash(11.0, ran_for_s=0.1) == 0.5  # and the streak starts again from there


def test_more_than_intensity_restarts_within_the_period_is_fatal():
    tracker = RestartTracker(POLICY)
    delays = crashes(tracker, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    assert None not in delays[:5] and delays[5] is None


def test_crashes_older_than_the_period_do_not_count_towards_the_limit():
    tracker = RestartTracker(POLICY)
    crashes(tracker, [0.0, 1.0, 2.0, 3.0, 4.0])  # five: at the limit, not over it
    assert tracker.on_crash(61.5, 0.1) is not None  # the crashes at 0 and 1 s have aged out
    assert tracker.on_crash(61.6, 0.1) is not None  # five within 60 s
    assert tracker.on_crash(61.7, 0.1) is None  # six: fatal


def test_reset_forgets_crashes_and_streak():
    tracker = RestartTracker(POLICY)
    crashes(tracker, [0.0, 1.0, 2.0, 3.0, 4.0])
    tracker.reset()  # `cogloop restart` revives a fatal child with a clean history
    assert crashes(tracker, [5.0, 6.0]) == [0.0, 0.5]


def test_policy_from_the_daemon_configuration():
    d = Config().daemon
    d.restart_intensity, d.restart_period_s, d.backoff_s, d.backoff_max_s = 2, 9.0, 0.25, 1.0
    assert RestartPolicy.from_config(d) == RestartPolicy(2, 9.0, 0.25, 1.0)
