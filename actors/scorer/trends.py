"""The recent totals per skill that the trend is computed over, kept by the Scorer itself.

The Scorer is the only writer of scores while the daemon runs, so after one `scores.recent`
per skill (the seed, from the history) it knows every later total without asking Memory
again: one bus round trip less per score. A restarted Scorer seeds again. Thread-safe,
since several requests are graded at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Iterable, Mapping

from .metrics import slope

def trend_with(previous_totals_newest_first: list[float], total: float, window: int) -> float:
    """Slope of the skill's totals over the window, this attempt included."""
    series = list(reversed(previous_totals_newest_first[: max(0, window - 1)])) + [total]
    return round(slope(series), 5)


Seed = Callable[[str], Iterable[Mapping]]  # skill -> its recent scores, newest first


class TrendBook:
    def __init__(self, window: int, seed: Seed):
        self.window = max(1, int(window))
        self._seed = seed
        self._lock = threading.Lock()
        self._totals: dict[str, OrderedDict[str, float]] = {}  # skill -> attempt_id -> total, oldest first

    def _series(self, skill: str) -> OrderedDict[str, float]:
        with self._lock:
            known = self._totals.get(skill)
        if known is not None:
            return known
        rows = list(self._seed(skill))  # outside the lock: a bus ask
        fresh: OrderedDict[str, float] = OrderedDict(
            (str(s.get("attempt_id")), float(s.get("total") or 0.0)) for s in reversed(rows))
        with self._lock:
            return self._totals.setdefault(skill, fresh)

    def trend(self, skill: str, attempt_id: str, total: float) -> float:
        """Slope of the skill's last `window` totals, this attempt's included (counted once)."""
        series = self._series(skill)
        with self._lock:
            previous = [t for a, t in reversed(series.items()) if a != attempt_id]
        return trend_with(previous, total, self.window)

    def add(self, skill: str, attempt_id: str, total: float) -> None:
        """A score was recorded: it joins the series (newest last)."""
        series = self._series(skill)
        with self._lock:
            if attempt_id in series:  # the store keeps the first score of an attempt, and so do we
                return
            series[attempt_id] = total
            while len(series) > self.window:
                series.popitem(last=False)
