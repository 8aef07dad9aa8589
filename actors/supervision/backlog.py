"""What waits for one child while it cannot take it (starting, in backoff, its pipe full):
encoded frames in arrival order, bounded. Pure: the caller delivers, this keeps the order.

Each frame comes with its `meta` ({"id", "kind", "from", "op"} of the envelope), so what is
still waiting can be answered without decoding it again: an error to an ask when the child
goes fatal or is removed, or a forwarded ask taken out when its `wait_s` is over.
"""

from __future__ import annotations

import collections
from typing import Any, Callable, Iterator

Meta = dict[str, Any]


def meta_of(env: dict[str, Any]) -> Meta:
    """The fields of an envelope a waiting frame is answered by."""
    return {"id": env["id"], "kind": env["kind"], "from": env["from"], "op": env["op"]}


class Backlog:
    def __init__(self, capacity: int):
        self.capacity = capacity  # daemon.backlog; a reload may change it
        self._items: collections.deque[tuple[bytes, Meta]] = collections.deque()

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Meta]:
        return (meta for _, meta in self._items)

    @property
    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def push(self, frame: bytes, meta: Meta) -> bool:
        """Keep `frame` behind the others; False (nothing kept) when the backlog is full."""
        if self.full:
            return False
        self._items.append((frame, meta))
        return True

    def flush(self, deliver: Callable[[bytes], bool]) -> int:
        """Hand frames to `deliver` in order until it says no (the pipe is full, the child gone);
        how many went."""
        sent = 0
        while self._items and deliver(self._items[0][0]):
            self._items.popleft()
            sent += 1
        return sent

    def take(self, msg_id: str) -> Meta | None:
        """Take one waiting frame out by its message id; its meta, or None when it is not here."""
        for item in self._items:
            if item[1]["id"] == msg_id:
                self._items.remove(item)
                return item[1]
        return None

    def drain(self) -> list[Meta]:
        """Everything out, oldest first: what is left to answer when it can never be delivered."""
        metas = [meta for _, meta in self._items]
        self._items.clear()
        return metas
