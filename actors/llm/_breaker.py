"""The circuit breaker in front of one endpoint: a dead server costs one cheap exception per
call, never a hot loop. Pure apart from its lock; the clock is passed in for tests."""

from __future__ import annotations

import threading
import time
from typing import Callable


class CircuitBreaker:
    """closed -> (N consecutive failures) -> open -> (reset_s) -> half-open -> one trial call."""

    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.reset_s = reset_s
        self.clock = clock
        self.consecutive = 0
        self.opened_at: float | None = None
        self.last_error = ""
        self.trips = 0  # how often it opened, for status and tests
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset_s else "open"

    def retry_in(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (self.clock() - self.opened_at))

    def allow(self) -> bool:
        """May a request go out now? In half-open state only one does, until it reports back."""
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            if state == "half-open":
                self.opened_at = self.clock()  # the trial call holds the gate; failure keeps it open
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self.consecutive = 0
            self.opened_at = None
            self.last_error = ""

    def trip(self, reason: str) -> None:
        """Open now, whatever the count: a failure that will repeat (a model that cannot chat)."""
        with self._lock:
            self.consecutive = max(self.consecutive, self.threshold)
            self.last_error = reason
            if self.opened_at is None:
                self.trips += 1
            self.opened_at = self.clock()

    def failure(self, reason: str) -> None:
        with self._lock:
            self.consecutive += 1
            self.last_error = reason
            if self.opened_at is None and self.consecutive >= self.threshold:
                self.trips += 1
                self.opened_at = self.clock()
            elif self.opened_at is not None:  # the half-open trial failed: another full wait
                self.opened_at = self.clock()
