"""The cogloop daemon: spawns, watches and restarts the actor processes and owns the bus.

    python -m supervisor --home H [--config F] [--set section.key=value ...] [--log-file F]

Sockets (docs/architecture.md, Processes and wiring):
- bus      ROUTER ipc://HOME/run/bus.sock (+ daemon.tcp_bus with CURVE): routes by `to`
- control  ROUTER ipc://HOME/run/control.sock (0600 in a 0700 run dir): the control ops
- events   PUB    ipc://HOME/run/events.sock: state changes, restarts, actor events

This file is the imperative shell: the poll loop, the sockets, and carrying out what the parts
decide. The parts own their data (actors/supervision/): the roster of children, each with its
lifecycle (a pure state machine whose transitions return actions) and its backlog; the forward
table; the LLM endpoint; the launcher and its warm spares; the outbox of events the record
keeps (sent to Memory; the supervisor never writes the database); the LLM endpoints (builders
ask for one per request and report back; a prober lists their models). Each control op is one
module of actors/control/; every request on the bus is admitted by its op's entry
(actors/protocol).

One thread does all socket work and spawns every child (PR_SET_PDEATHSIG fires when the
spawning *thread* exits). SIGCHLD and friends wake its poll through signal.set_wakeup_fd.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import time
from typing import Any

import zmq

from actors import control
from actors import protocol as P
from actors.control import forward, llm, pause, reload, stop
from actors.protocol import CLI, SUPERVISOR as NAME
from actors.runtime import ACTOR_CLASSES, load_plugins
from actors.supervision import entry, launch, routing
from actors.supervision.backlog import meta_of
from actors.supervision.endpoints import EndpointTable
from actors.supervision.events import Events
from actors.supervision.forwards import ForwardTable
from actors.supervision.lifecycle import (RUNNING, STARTING, Action, FailBacklog, FailForwards, Forget,
                                          Publish, Ready, Signal, Spawn, Tell)
from actors.supervision.outbox import Outbox
from actors.supervision.prober import Prober
from actors.supervision.roster import Child, Roster
from actors.supervision.sampler import Sampler
from actors.supervision.sockets import Sockets
from ops.ground.config import load_config
from ops.ground.home import Home

log = logging.getLogger("cogloop.supervisor")

TICK_S = 0.05
HOUSEKEEPING_S = 0.01
SLICE_S = 0.05  # the longest the loop spends on one socket before looking at the rest


class Supervisor:
    """The daemon: its parts (built here) and the loop that serves its sockets (`run`)."""

    sockets: Sockets  # bound by run()
    events: Events

    def __init__(self, home: Home, config_file: str | None, overrides: dict[str, Any],
                 unclean_pid: int | None = None):
        self.home = home
        self.unclean_pid = unclean_pid  # the previous supervisor's, when it left its pidfile behind
        self.config_file = config_file
        self.overrides = overrides
        self.cfg = load_config(home.root, config_file, overrides=overrides)
        load_plugins(self.cfg.daemon.plugins)
        self.codec = P.Codec(self.cfg.daemon.max_msg_bytes)
        self.roster = Roster(self.cfg)
        self.forwards = ForwardTable()
        self.endpoints = EndpointTable()  # the LLM endpoints; the prober lists their models
        self.prober = Prober()
        self.launcher = launch.Launcher(home, config_file, self.cfg)
        self.outbox = Outbox(home.run / "events.spool")
        self.sampler = Sampler(interval_s=min(1.0, max(0.2, self.cfg.daemon.heartbeat_s)))
        self.status_cache = control.status.StatusCache()
        self.notes: list[str] = []
        self.paused = False  # the daemon's pause: actors/control/pause.py
        self.started = time.monotonic()
        self.shutdown: stop.Shutdown | None = None  # the stop sequence, once begun
        self.bus_drained = True

    @property
    def stopping(self) -> bool:
        return self.shutdown is not None

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        self.events.publish(topic, body)

    def changed(self) -> None:
        """Something `status` shows changed: the cached status body is stale."""
        self.status_cache.drop()

    def llm_status(self) -> dict[str, Any]:
        """{"url", "model", "state", "endpoints": [...]}: the first endpoint's, then every one's."""
        children = {c.name: c.state for c in self.roster if c.spec.kind == "llm" and not c.remote}
        note = next((n for n in self.notes if "embedded model" in n), "")
        return self.endpoints.status(time.monotonic(), children, note)

    # --- children: carrying out their transitions --------------------------------------------
    def apply(self, child: Child, actions: list[Action]) -> None:
        """Do what a transition of `child`'s lifecycle asked for, in order."""
        if actions:
            self.changed()
        for action in actions:
            match action:
                case Publish(topic, body):
                    self.publish(topic, body)
                case Spawn():
                    self._spawn(child)
                case Signal(sig):
                    launch.signal_child(child, sig)
                case Tell(op):
                    self.tell(child.name, op)
                case Ready():
                    if child.spec.kind == "memory":
                        self.outbox.reset()  # a new Memory: what the old one did not acknowledge goes again
                    pause.on_ready(self, child)
                    self._flush_backlog(child)
                case FailBacklog(message):
                    self._fail_backlog(child, message)
                case FailForwards(message):
                    forward.handed_to_exited(self, child, message)
                case Forget():
                    self.roster.forget(child.name)

    def _spawn(self, child: Child) -> None:
        pid = self.launcher.spawn(child, paused=self.paused)
        if pid is None:
            self._exited(child, -1)
            return
        self.apply(child, child.life.started(pid, time.monotonic()))
        self._update_sampler()

    def _exited(self, child: Child, rc: int) -> None:
        child.proc = None
        self.endpoints.forget(child.name)  # its LLM requests in flight will never be reported
        self.apply(child, child.life.exited(rc, time.monotonic(), stopping=self.stopping,
                                            removed=child.name not in self.roster.order))
        self._update_sampler()

    def _reap(self) -> None:
        for child, rc in launch.exits(self.roster):
            self._exited(child, rc)

    def _update_sampler(self) -> None:
        self.sampler.pids = {c.name: c.life.pid for c in self.roster
                             if c.life.pid and c.state in (STARTING, RUNNING) and not c.remote}

    # --- the bus ------------------------------------------------------------------------------
    def _to_bus(self, ident: bytes, frame: bytes) -> bool | None:
        """True sent; False the actor's pipe is full (back-pressure, it is still there); None
        nobody by that name (EHOSTUNREACH: gone since its last heartbeat)."""
        try:
            self.sockets.bus.send_multipart([ident, frame], zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False
        except zmq.ZMQError:
            return None

    def _send(self, ident: bytes, env: dict[str, Any]) -> None:
        try:
            self._to_bus(ident, self.codec.encode(env))
        except P.ProtocolError:
            pass

    def tell(self, name: str, op: str) -> None:
        """A tell from the supervisor (actor.stop, actor.pause, ...)."""
        self._send(name.encode(), P.envelope("tell", NAME, name, op))

    def _deliver(self, child: Child, frame: bytes) -> bool:
        sent = self._to_bus(child.name.encode(), frame)
        if sent is None:
            child.life.unreachable()
        return bool(sent)

    def _answer(self, ident: bytes, request: dict[str, Any], code: str, message: str) -> None:
        """An error to an ask on the bus; a tell that cannot be served is dropped and counted."""
        if request.get("kind") == "ask":
            self._send(ident, P.error_to(request, NAME, code, message))
        else:
            self.events.drop()

    def _flush_backlog(self, child: Child) -> None:
        """Deliver what waits, in order, until the actor's pipe is full (then the next tick)."""
        if child.backlog.flush(lambda frame: self._deliver(child, frame)):
            self.changed()

    def _fail_backlog(self, child: Child, message: str) -> None:
        for meta in child.backlog.drain():
            if meta["from"] == CLI:  # a forward waiting for the restart: answer the operator
                forward.fail(self, meta["id"], P.UNAVAILABLE, message)
            else:
                self._answer(meta["from"].encode(), meta, P.UNAVAILABLE, message)

    def enqueue(self, child: Child, ident: bytes, frame: bytes, env: dict[str, Any]) -> None:
        """Straight through when nothing waits before it, else behind the backlog (order kept)."""
        if child.life.routable and not child.backlog and self._deliver(child, frame):
            return
        if not child.backlog.push(frame, meta_of(env)):
            self._answer(ident, env, P.BACKLOG_FULL, f"{child.name} is restarting or busy and its backlog is full")
            return
        self.changed()

    def _request(self, ident: bytes, frame: bytes, env: dict[str, Any], sender: str) -> None:
        where = routing.request(self.roster, env, sender)
        if isinstance(where, routing.Refuse):
            self._answer(ident, env, where.code, where.message)
        elif where == NAME:  # an actor's request to the supervisor itself (llm.assign, llm.done)
            reply = control.serve_bus(self, env)
            if reply is not None and env["kind"] == "ask":
                self._send(ident, reply)
        else:
            self.enqueue(where, ident, frame, env)

    def _reply(self, frame: bytes, env: dict[str, Any]) -> None:
        where = routing.reply(self.roster, env)
        if where == CLI:
            forward.answered(self, env)
        elif where == NAME:
            if env["kind"] == "reply" and env["op"] == "event.record":
                self.outbox.ack(env["body"].get("ids"))
        elif where is None:
            self.events.drop()
        elif routing.straight_through(where):
            self._deliver(where, frame)
        else:
            self.enqueue(where, b"", frame, env)

    def _on_heartbeat(self, name: str, body: dict[str, Any]) -> None:
        child = self.roster.get(name)
        if child is None:  # a remote actor joining over the (CURVE) tcp bus; bounded, known kinds only
            child = self.roster.join(name, body.get("kind"), ACTOR_CLASSES)
            if child is None:
                self.events.drop()
                return
        actions = child.life.heartbeat(body.get("pid"), time.monotonic())
        if actions is None:
            return  # a stale incarnation, or one we are ending: no ack, no routing
        self._send(name.encode(), P.envelope("hb", NAME, name, P.HEARTBEAT_OP))
        self.apply(child, actions)

    def _on_bus(self) -> None:
        # A time slice, so a flood on the bus cannot starve the control socket and timers.
        self.bus_drained = False
        until = time.monotonic() + SLICE_S
        while time.monotonic() < until:
            try:
                frames = self.sockets.bus.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                self.bus_drained = True
                return
            env, error = P.read(self.codec, frames[-1], NAME) if len(frames) == 2 else (None, None)
            if env is None:
                if error is not None:
                    self._send(frames[0], error)
                else:
                    self.events.drop()
                continue
            sender = frames[0].decode("utf-8", "replace")
            if env["from"] != sender or sender in P.RESERVED_NAMES:
                self._answer(frames[0], env, P.FORBIDDEN, f"`from` must be the sender's own name ({sender!r})")
            elif env["kind"] == "hb":
                self._on_heartbeat(sender, env["body"])
            elif env["kind"] == "event":
                self.events.publish(env["op"], env["body"], sender=sender)
            elif env["kind"] in P.REQUEST_KINDS:
                self._request(frames[0], frames[1], env, sender)
            else:
                self._reply(frames[1], env)

    # --- the control socket -----------------------------------------------------------------------
    def control_send(self, prefix: list[bytes], env: dict[str, Any]) -> None:
        try:
            self.control_frame(prefix, self.codec.encode(env))
        except P.ProtocolError:
            pass

    def control_frame(self, prefix: list[bytes], frame: bytes) -> None:
        try:
            self.sockets.control.send_multipart([*prefix, frame], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass  # the client went away; Lazy Pirate clients retry

    def _on_control(self) -> None:
        """One request per wake-up: the poll said one is there, and asking whether there is
        another (a zmq.Again, ~9 us, or ZMQ_EVENTS, ~5 us) would cost more than the main loop's
        next poll, which reports the socket again if it is. CLI traffic is never a flood."""
        try:
            frames = self.sockets.control.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return
        control.receive(self, frames)

    # --- the loop ---------------------------------------------------------------------------------
    def _on_signals(self, signals: list[int]) -> None:
        for sig in signals:
            if sig in (signal.SIGTERM, signal.SIGINT):
                if self.stopping and sig == signal.SIGINT:
                    for child in self.roster:  # a second ^C: no more waiting
                        launch.signal_child(child, signal.SIGKILL)
                stop.begin(self, signal.Signals(sig).name)
            elif sig == signal.SIGHUP:
                reload.on_hangup(self)

    def _housekeeping(self) -> bool:
        """Reaping, ordered start, timers, spares, the stop sequence; True when all is stopped."""
        self._reap()
        while not self.stopping and (child := self.roster.next_to_start()) is not None:
            self._spawn(child)
        now = time.monotonic()
        for child in self.roster:
            if child.backlog and child.life.routable:
                self._flush_backlog(child)
            deadlines = self.shutdown.deadlines if self.shutdown is not None else None
            self.apply(child, child.life.tick(now, stop=deadlines, bus_drained=self.bus_drained,
                                              ready=child.ready_flag))
        forward.expire(self, now)
        self.events.report(now)
        memory = next((c for c in self.roster if c.spec.kind == "memory" and not c.remote), None)
        if memory is not None and memory.life.routable:  # the outbox: Memory's to record
            self.outbox.flush(now, self.codec, memory.name, lambda frame: self._deliver(memory, frame))
        llm.tick(self, now)  # the endpoints' probes, trial chats, lost tickets and events
        if self.cfg.daemon.warm_spares and not self.stopping and self.roster.started_all:
            self.launcher.spares.top_up(self.roster.spare_kinds())  # one per tick, while nothing starts
        self.launcher.spares.reap()
        return self.stopping and stop.step(self)

    def run(self) -> int:
        # The sampler thread must not hold the GIL for long while a request waits.
        sys.setswitchinterval(0.0005)
        self.sockets = Sockets(self.home, self.cfg)
        self.events = Events(self.sockets.events, self.codec, self.outbox)
        signals = entry.Signals()
        reload.start(self)
        poller = zmq.Poller()
        for sock in (self.sockets.bus, self.sockets.control, signals.fd):
            poller.register(sock, zmq.POLLIN)
        next_housekeeping = 0.0
        try:
            while True:
                events = dict(poller.poll(TICK_S * 1000))
                if signals.fd in events:  # a signal: SIGCHLD (reaped below), TERM, INT, HUP
                    self._on_signals(signals.take())
                    self._reap()
                if self.sockets.control in events:
                    self._on_control()
                if self.sockets.bus in events or not self.bus_drained:
                    self._on_bus()
                # Timers need not run after every message: keep the request path short.
                now = time.monotonic()
                if now >= next_housekeeping or not events:
                    next_housekeeping = now + HOUSEKEEPING_S
                    if self._housekeeping():
                        break
        finally:
            self.publish("supervisor.stopped", {"pid": os.getpid()})
            for child in self.roster:
                launch.signal_child(child, signal.SIGKILL)
                if child.proc is not None:
                    child.proc.wait()
            self.launcher.spares.kill()
            self.sampler.stop()
            self.prober.stop()
            signals.close()
            self.sockets.close()
        return 0


def main(argv: list[str] | None = None) -> int:
    args = entry.parse(argv, __doc__)
    try:
        home, overrides = entry.prepare(args)
        with entry.daemon(home) as unclean_pid:
            sup = Supervisor(home, args.config, overrides, unclean_pid=unclean_pid)
            entry.setup_logging(args.log_file, sup.cfg)
            return sup.run()
    except entry.Exit as exc:
        return exc.status


if __name__ == "__main__":
    code = main()
    # Everything is stopped, closed and released: skip the interpreter's teardown of the modules
    # (0.3-0.5 s of CPU on a busy box, during which `cogloop down` still sees the pid), as the
    # actors do (actors/runtime.py). Exit handlers (the sandbox server's) still run.
    logging.shutdown()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
