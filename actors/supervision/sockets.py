"""The daemon's three sockets, bound in HOME/run with their files born 0600 (in a 0700 run
dir); CURVE on the bus when it also listens on tcp (curve.py), its authorised keys read again
when they change and on reload. supervisor.py reads and writes them."""

from __future__ import annotations

import logging
import os
from typing import Any

import zmq

from actors.supervision.curve import KeyWatch, reload_keys, secure_router

log = logging.getLogger("cogloop.supervisor")

NAMES = ("bus", "control", "events")


class Sockets:
    def __init__(self, home: Any, cfg: Any):
        self.home = home
        self.zctx = zmq.Context()
        old_umask = os.umask(0o077)
        try:
            self.bus = self.zctx.socket(zmq.ROUTER)  # the actors, by name (routes by `to`)
            self.control = self.zctx.socket(zmq.ROUTER)  # the operator's clients
            self.events = self.zctx.socket(zmq.PUB)
            for sock in (self.bus, self.control, self.events):
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.MAXMSGSIZE, cfg.daemon.max_msg_bytes)
            for sock in (self.bus, self.control):
                sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
                sock.setsockopt(zmq.SNDTIMEO, 0)
            # A restarted actor reconnects under the same identity: let it take over at once.
            self.bus.setsockopt(zmq.ROUTER_HANDOVER, 1)
            for name in NAMES:
                getattr(self, name).bind(home.endpoint(name))
        finally:
            os.umask(old_umask)
        for name in NAMES:
            os.chmod(home.run / f"{name}.sock", 0o600)
        tcp = cfg.daemon.tcp_bus
        self.auth = secure_router(self.zctx, self.bus, home.keys, tcp) if tcp else None
        self.keywatch = KeyWatch(home.keys) if tcp else None

    def reload_keys(self) -> None:
        """Read the authorised CURVE keys again (a no-op without a tcp bus)."""
        if self.auth is not None:
            log.info("authorised keys read again: %d key(s)", reload_keys(self.auth, self.home.keys))

    def keys_changed(self) -> None:
        """Read them again if HOME/keys/authorized changed since the last look."""
        if self.keywatch is not None and self.keywatch.changed():
            self.reload_keys()

    def close(self) -> None:
        if self.auth is not None:
            self.auth.stop()
        for name in NAMES:
            getattr(self, name).close(0)
        self.zctx.term()
        for name in NAMES:
            try:
                (self.home.run / f"{name}.sock").unlink()
            except OSError:
                pass
