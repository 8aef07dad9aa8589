"""The supervisor's outbox: the events the record must keep, delivered to Memory exactly once.

Every event of RECORDED (a child's crash, restart, hang or fatal, an operator's restart, pause,
resume, reload, the LLM endpoint's state changes, a start after an unclean exit) gets an id
and a time, is appended to a spool file (HOME/run/events.spool) and is sent to Memory as
`event.record` until Memory acknowledges its id. Memory records by id (INSERT OR IGNORE), so
a resend adds nothing; the spool makes a supervisor kill -9 lose none (the next supervisor
reads it back). The supervisor still never writes the database: Memory stays its one writer.

Reliable delivery after zguide's Lazy Pirate, on the sending side: what is unacknowledged is
sent again on a timer and at once whenever Memory (re)starts; the receiver is idempotent.
The spool is append-only JSON lines, `{"e": event}` and `{"ack": [ids]}`; a torn last line
(a kill mid-write) is skipped, and the file is emptied once nothing is pending.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from actors import protocol as P

log = logging.getLogger("cogloop.supervisor")

RECORDED = frozenset({
    "child.crash", "child.restart", "child.hung", "child.fatal", "llm.state",
    "supervisor.start", "supervisor.crash", "supervisor.stopping", "supervisor.paused", "supervisor.resumed",
    "supervisor.reloaded", "supervisor.reload_failed",
})
RESEND_S = 5.0  # unacknowledged this long (Memory busy or gone): send again
BATCH = 100  # events per event.record ask
MAX_PENDING = 10_000  # beyond this (Memory fatal for a long time) the oldest are dropped, and said so
COMPACT_BYTES = 1 << 20  # a spool this big with events still pending is rewritten with only those


def event_actor(kind: str, body: dict[str, Any]) -> str:
    """Whom an event is about: the child for child.*, the endpoint for llm.*, else the supervisor."""
    if kind.startswith("child."):
        return str(body.get("name") or "?")
    return "llm" if kind.startswith("llm.") else "supervisor"


def _iso(ts: float) -> str:
    """The store's timestamp format (UTC, fixed width, `Z`), so events sort with the rest."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Outbox:
    """Pending events in order, with when each was last sent (monotonic seconds)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pending: dict[str, dict[str, Any]] = {}
        self.sent_at: dict[str, float] = {}
        self.sizes: dict[str, int] = {}  # bytes of each event's JSON: batches stay under the bus's limit
        self.dropped = 0
        for line in self._read():
            if isinstance(line.get("e"), dict) and isinstance(line["e"].get("id"), str):
                self.pending[line["e"]["id"]] = line["e"]
            elif isinstance(line.get("ack"), list):
                for eid in line["ack"]:
                    self.pending.pop(eid, None)
        self.sizes = {eid: len(json.dumps(e, default=str)) for eid, e in self.pending.items()}
        self._rewrite()
        if self.pending:
            log.info("outbox: %d event(s) from before the last exit still to record", len(self.pending))

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        lines = []
        for raw in text.splitlines():
            try:
                item = json.loads(raw)
            except ValueError:  # a line torn by a kill mid-write
                continue
            if isinstance(item, dict):
                lines.append(item)
        return lines

    def _append(self, item: dict[str, Any]) -> None:
        """One whole line per write(2) on an O_APPEND file: in the page cache before we go on,
        so a kill -9 of this process loses nothing written."""
        data = (json.dumps(item, separators=(",", ":"), default=str) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:  # the run dir vanished or the disk is full: keep it in memory
            log.warning("outbox: cannot write %s: %s", self.path, exc)

    def _rewrite(self) -> None:
        """The spool with only the pending events (atomically; empty when none are)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text("".join(json.dumps({"e": e}, separators=(",", ":"), default=str) + "\n"
                                   for e in self.pending.values()), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("outbox: cannot rewrite %s: %s", self.path, exc)

    def add(self, kind: str, body: dict[str, Any], ts: float) -> dict[str, Any]:
        """Keep a new event until Memory acknowledges it."""
        event = {"id": uuid.uuid4().hex, "ts": _iso(ts), "kind": kind, "actor": event_actor(kind, body),
                 "body": body}
        if len(self.pending) >= MAX_PENDING:
            self._forget([next(iter(self.pending))])
            self.dropped += 1
            log.warning("outbox: %d events pending (is Memory fatal?); dropped the oldest (%d so far)",
                        MAX_PENDING, self.dropped)
        self.pending[event["id"]] = event
        self.sizes[event["id"]] = len(json.dumps(event, default=str))
        self._append({"e": event})
        return event

    def due(self, now: float, max_bytes: int) -> list[dict[str, Any]]:
        """The next batch to send (at most BATCH events, about `max_bytes`, at least one): never
        sent, or unacknowledged for RESEND_S. Marked sent now."""
        batch: list[dict[str, Any]] = []
        size = 0
        for eid, e in self.pending.items():
            if now - self.sent_at.get(eid, -RESEND_S) < RESEND_S:
                continue
            if batch and (len(batch) >= BATCH or size + self.sizes[eid] > max_bytes):
                break
            batch.append(e)
            size += self.sizes[eid]
        for e in batch:
            self.sent_at[e["id"]] = now
        return batch

    def _forget(self, ids: list[str]) -> None:
        for eid in ids:
            del self.pending[eid]
            self.sent_at.pop(eid, None)
            self.sizes.pop(eid, None)

    def flush(self, now: float, codec: Any, memory: str, deliver: Callable[[bytes], bool]) -> None:
        """Hand Memory (named `memory`) the next batch due, as an `event.record` ask, through
        `deliver(frame) -> sent`; its reply's ids are the acks (`ack`)."""
        batch = self.due(now, codec.max_bytes // 2)
        if not batch:
            return
        try:
            frame = codec.encode(P.envelope("ask", P.SUPERVISOR, memory, "event.record", {"events": batch}))
        except P.ProtocolError as exc:  # one event bigger than any message may be: it can never go
            log.error("outbox: dropping %d event(s) Memory can never receive: %s", len(batch), exc.message)
            self.ack([e["id"] for e in batch])
            return
        if not deliver(frame):
            self.unsent(batch)

    def unsent(self, batch: list[dict[str, Any]]) -> None:
        """The batch did not leave (Memory's pipe full or gone): due again at once."""
        for e in batch:
            self.sent_at.pop(e["id"], None)

    def reset(self) -> None:
        """Memory (re)started: whatever it has not acknowledged may be lost with it; send it all now."""
        self.sent_at.clear()

    def ack(self, ids: Any) -> int:
        """Memory recorded these ids; how many were pending."""
        done = [i for i in ids if isinstance(i, str) and i in self.pending] if isinstance(ids, list) else []
        self._forget(done)
        if done:
            if not self.pending:
                self._rewrite()
            else:
                self._append({"ack": done})
                if self._size() > COMPACT_BYTES:
                    self._rewrite()
        return len(done)

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0
