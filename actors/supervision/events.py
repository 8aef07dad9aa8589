"""What the daemon says happened: events on the PUB socket (`cogloop watch`), the ones the record
keeps also in the outbox for Memory (outbox.py), and the count of frames it had to drop
(malformed, or a tell nobody could take), reported as `bus.dropped` at most once a second."""

from __future__ import annotations

import logging
import time
from typing import Any

import zmq

from actors import protocol as P
from actors.supervision.outbox import RECORDED, Outbox

log = logging.getLogger("cogloop.supervisor")

REPORT_S = 1.0


class Events:
    def __init__(self, sock: zmq.Socket, codec: P.Codec, outbox: Outbox):
        self.sock = sock  # the events PUB socket
        self.codec = codec
        self.outbox = outbox
        self.dropped = 0
        self._reported = 0
        self._next_report = 0.0

    def publish(self, topic: str, body: dict[str, Any], sender: str = P.SUPERVISOR) -> None:
        """Two frames, [topic, envelope], so subscribers filter by topic prefix."""
        env = P.envelope("event", sender, "*", topic, body)
        try:
            self.sock.send_multipart([topic.encode(), self.codec.encode(env)], zmq.NOBLOCK)
        except (zmq.ZMQError, P.ProtocolError):
            pass
        log.info("event %s %s", topic, body)
        if sender == P.SUPERVISOR and topic in RECORDED:
            self.outbox.add(topic, body, time.time())

    def drop(self) -> None:
        self.dropped += 1

    def report(self, now: float) -> None:
        if self.dropped != self._reported and now >= self._next_report:
            self.publish("bus.dropped", {"frames": self.dropped})
            self._reported = self.dropped
            self._next_report = now + REPORT_S
