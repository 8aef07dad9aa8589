"""The reference's efficiency figures, timed once and kept: a property of the task, not of the
candidate.

A race times CPU (the candidate's tree, read from outside it; docs/sandbox.md), which load on
the machine hardly moves, so the reference's cost per call on a task's race input is the same
for every candidate of that task: racing it again for each one doubled the Scorer's timed work
and gave every candidate a differently noisy yardstick. Keyed by everything the figure depends
on — the judge's version, the reference's source, the race's setup (its input size) and call,
the context, the entry point, the limits — so an edited task, a new input size or a config
reload times it afresh.

Kept in the Scorer's memory, not in the store: the figure belongs to this machine, this Python
and this judge at this time; a stored one would outlive an upgrade or a move to other hardware
and silently skew every later score, and it would cost the store a write per task (the overhead
this saves). A restarted Scorer times each task's reference once more. Bounded (LRU), thread-safe.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Mapping

MAX_ENTRIES = 4096  # a few hundred bytes each


def reference_key(judge_version: int, entry_point: str, reference: str, efficiency: Mapping[str, Any],
                  context: str, limits: Mapping[str, Any]) -> str:
    """What a reference's race figures depend on, hashed."""
    blob = json.dumps([judge_version, entry_point, reference, efficiency.get("setup", ""),
                       efficiency.get("call") or "candidate(*args)", context, dict(limits)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class ReferenceBook:
    """key -> the reference's measurement ({"ok": True, "time_s", "wall_s", "peak_bytes", ...})."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max(1, int(max_entries))
        self._lock = threading.Lock()
        self._figures: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._figures.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self._figures.move_to_end(key)
            return dict(found)

    def put(self, key: str, figures: Mapping[str, Any]) -> None:
        """Keep a successful measurement (a failed one is tried again next time); the first one
        kept stays, so every later candidate of the task meets the same yardstick."""
        if not figures.get("ok"):
            return
        with self._lock:
            self._figures.setdefault(key, dict(figures))
            self._figures.move_to_end(key)
            while len(self._figures) > self.max_entries:
                self._figures.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._figures)
