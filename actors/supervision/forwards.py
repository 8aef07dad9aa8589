"""The asks the supervisor forwards for the operator (control op `forward`), until each is
answered: where the answer goes, when to give up, and how long one may wait for an actor
that is restarting. Pure: the clock is passed in; the caller sends the replies.

A forward is in one of two places meanwhile: in its actor's backlog (not delivered yet) or
handed to the actor's process. That is the backlog's to say (backlog.py); this table knows
only ids, addressees and deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TTL_S = 600.0  # no answer by then: `timeout`
CAPACITY = 10_000  # forwards in flight at once


@dataclass
class Forward:
    prefix: list[bytes]  # the control socket's routing frames: where the answer goes
    request: dict[str, Any]  # the operator's `forward` ask, answered with `reply_to`/`error_to`
    to: str  # the actor it was forwarded to
    expires: float  # monotonic: no answer by then is a timeout
    wait_until: float | None = None  # monotonic: still undelivered then (restarting) is a timeout


class ForwardTable:
    def __init__(self, ttl_s: float = TTL_S, capacity: int = CAPACITY):
        self.ttl_s = ttl_s
        self.capacity = capacity
        self._items: dict[str, Forward] = {}
        self._waiting = 0  # how many have a wait_until: the timer skips them all when none has

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, fid: str) -> bool:
        return fid in self._items

    @property
    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def add(self, fid: str, prefix: list[bytes], request: dict[str, Any], to: str, now: float,
            wait_s: float = 0.0) -> None:
        """Track forward `fid` (the id of the ask sent to `to`); `wait_s` > 0: it may wait that
        long (at most the TTL) in the backlog of an actor that is restarting."""
        wait_until = now + min(wait_s, self.ttl_s) if wait_s > 0 else None
        self._items[fid] = Forward(prefix, request, to, now + self.ttl_s, wait_until)
        self._waiting += wait_until is not None

    def get(self, fid: str) -> Forward | None:
        return self._items.get(fid)

    def pop(self, fid: str) -> Forward | None:
        """The forward, out of the table: answered, failed or timed out."""
        fwd = self._items.pop(fid, None)
        if fwd is not None and fwd.wait_until is not None:
            self._waiting -= 1
        return fwd

    def to(self, name: str) -> list[str]:
        """The ids of the forwards sent to `name`."""
        return [fid for fid, fwd in self._items.items() if fwd.to == name]

    def expired(self, now: float) -> list[str]:
        """The ids past their TTL: nobody answered."""
        return [fid for fid, fwd in self._items.items() if fwd.expires < now]

    def waits_over(self, now: float) -> list[str]:
        """The ids whose wait ended; each is reported once (its wait is cleared)."""
        if not self._waiting:
            return []
        over = []
        for fid, fwd in self._items.items():
            if fwd.wait_until is not None and fwd.wait_until < now:
                fwd.wait_until = None
                self._waiting -= 1
                over.append(fid)
        return over
