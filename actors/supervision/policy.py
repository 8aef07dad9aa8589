"""Restart policy after Erlang/OTP's supervisor: the first restart at once, then exponential
backoff while crashes keep coming, and an intensity limit (more than K restarts in T seconds
makes the child FATAL). Pure: no processes, no clocks of its own."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RestartPolicy:
    intensity: int = 5
    period_s: float = 60.0
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0

    @classmethod
    def from_config(cls, daemon: object) -> "RestartPolicy":
        return cls(daemon.restart_intensity, daemon.restart_period_s,  # type: ignore[attr-defined]
                   daemon.backoff_s, daemon.backoff_max_s)  # type: ignore[attr-defined]


@dataclass
class RestartTracker:
    """What one child's crashes so far mean for the next restart."""

    policy: RestartPolicy
    times: collections.deque = field(default_factory=collections.deque)
    streak: int = 0  # crashes in a row without a stable run in between

    def on_crash(self, now: float, ran_for_s: float) -> float | None:
        """The delay before the restart, or None when the child is now FATAL."""
        while self.times and now - self.times[0] > self.policy.period_s:
            self.times.popleft()
        self.times.append(now)
        if len(self.times) > self.policy.intensity:
            return None
        # A run longer than the backoff cap counts as stable: the next crash restarts at once.
        self.streak = 1 if ran_for_s > self.policy.backoff_max_s else self.streak + 1
        if self.streak <= 1:
            return 0.0
        return min(self.policy.backoff_max_s, self.policy.backoff_s * 2 ** (self.streak - 2))

    def reset(self) -> None:
        self.times.clear()
        self.streak = 0
