"""The cogloop daemon: spawns, watches and restarts the actor processes and owns the bus.

    python -m supervisor --home H [--config F] [--set section.key=value ...] [--log-file F]

Sockets (docs/architecture.md, Processes and wiring):
- bus      ROUTER ipc://HOME/run/bus.sock (+ daemon.tcp_bus with CURVE): routes by `to`
- control  ROUTER ipc://HOME/run/control.sock (0600 in a 0700 run dir): the supervisor ops
- events   PUB    ipc://HOME/run/events.sock: state changes, restarts, actor events

The events the record keeps (restarts, crashes, hangs, pause, reload...) also go through an
outbox (actors/supervision/outbox.py) to Memory, which records them; the supervisor never
writes the database. It owns the LLM endpoints (actors/supervision/endpoints.py): builders ask
it for one per request (`llm.assign`) and report back (`llm.done`); a prober probes them.

One thread does all socket work and spawns every child (PR_SET_PDEATHSIG fires when the
spawning *thread* exits). SIGCHLD and friends wake its poll through signal.set_wakeup_fd.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgpack
import zmq

from actors import protocol as P
from actors.runtime import ACTOR_CLASSES
from actors.supervision.children import (Child, ChildSpec, actor_argv, child_specs, external_argv,
                                         new_child, spare_argv)
from actors.supervision.curve import CurveRefused, KeyWatch, reload_keys, secure_router
from actors.supervision.endpoints import EndpointTable, endpoint_specs
from actors.supervision.llmstate import state_kind
from actors.supervision.outbox import RECORDED, Outbox, exit_reason
from actors.supervision.pidfile import AlreadyRunning, PidFile
from actors.supervision.policy import RestartPolicy
from actors.supervision.prober import Prober
from actors.supervision.sampler import Sampler
from ops.ground.config import Config, load_config
from ops.ground.errors import CogloopError
from ops.ground.home import Home

log = logging.getLogger("cogloop.supervisor")

NAME = "supervisor"
CLI = "cli"
FORWARD_TTL_S = 600.0
MAX_FORWARDS = 10_000
MAX_REMOTE = 64  # remote actors known at once; stopped ones are forgotten after a minute
TICK_S = 0.05
HOUSEKEEPING_S = 0.01
SLICE_S = 0.05  # the longest the loop spends on one socket before looking at the rest
# `status` answers from a pre-encoded body at most this old; any state change drops it at once
# (so only uptime, heartbeat age and the sampler's figures can lag, by this much).
STATUS_TTL_S = 0.02
CODE_ROOT = Path(__file__).resolve().parent


def config_env(cfg: Config) -> dict[str, str]:
    """The effective configuration as COGLOOP_* variables, so children see the flags too."""
    env = {}
    for section, values in cfg.to_dict().items():
        for key, value in values.items():
            env[f"COGLOOP_{section}_{key}".upper()] = (str(value).lower() if isinstance(value, bool) else
                                                      json.dumps(value) if isinstance(value, list) else str(value))
    return env


class Supervisor:
    def __init__(self, home: Home, config_file: str | None, overrides: dict[str, Any],
                 unclean_pid: int | None = None):
        self.home = home
        self.unclean_pid = unclean_pid  # the previous supervisor's, when it left its pidfile behind
        self.outbox = Outbox(home.run / "events.spool")
        self.llm = EndpointTable()
        self.prober = Prober()
        self._next_llm_check = 0.0
        self.keywatch: KeyWatch | None = None
        self.config_file = config_file
        self.overrides = overrides
        self.cfg = load_config(home.root, config_file, overrides=overrides)
        self.codec = P.Codec(self.cfg.daemon.max_msg_bytes)
        self.policy = RestartPolicy.from_config(self.cfg.daemon)
        self.children: dict[str, Child] = {}
        self.order: list[str] = []  # local children in start order
        self.notes: list[str] = []
        self.paused = False
        self.started = time.monotonic()
        self.stopping = False
        self.stop_soft_at = self.stop_deadline = 0.0  # set by begin_stop
        self._status_body: tuple[float, bytes] | None = None  # (built at, msgpack of {"status": ...})
        self.stop_queue: list[str] = []
        self.forwards: dict[str, tuple[list[bytes], dict[str, Any], float, str]] = {}
        self.forward_waits: dict[str, float] = {}  # forward id -> give up delivering it then
        self.dropped = 0
        self._dropped_reported = 0
        self._next_drop_report = 0.0
        self._signals: list[int] = []
        self.sampler = Sampler(interval_s=min(1.0, max(0.2, self.cfg.daemon.heartbeat_s)))
        self.llm_url = self.cfg.llm.urls[0] if self.cfg.llm.urls else ""
        self.auth = None
        self.bus_drained = True
        self.spares: dict[str, subprocess.Popen] = {}  # kind -> a warm spare process
        self.started_all = False
        self._old_spares: list[subprocess.Popen] = []  # dismissed, not yet exited

    # --- sockets ---------------------------------------------------------------------------
    def _bind(self) -> None:
        self.zctx = zmq.Context()
        d = self.cfg.daemon
        old_umask = os.umask(0o077)  # the socket files are born 0600
        try:
            self.bus = self.zctx.socket(zmq.ROUTER)
            self.control = self.zctx.socket(zmq.ROUTER)
            self.events = self.zctx.socket(zmq.PUB)
            for sock in (self.bus, self.control, self.events):
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.MAXMSGSIZE, d.max_msg_bytes)
            for sock in (self.bus, self.control):
                sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
                sock.setsockopt(zmq.SNDTIMEO, 0)
            # A restarted actor reconnects under the same identity: let it take over at once.
            self.bus.setsockopt(zmq.ROUTER_HANDOVER, 1)
            self.bus.bind(self.home.endpoint("bus"))
            self.control.bind(self.home.endpoint("control"))
            self.events.bind(self.home.endpoint("events"))
        finally:
            os.umask(old_umask)
        for name in ("bus", "control", "events"):
            os.chmod(self.home.run / f"{name}.sock", 0o600)
        if d.tcp_bus:
            self.auth = secure_router(self.zctx, self.bus, self.home.keys, d.tcp_bus)
            self.keywatch = KeyWatch(self.home.keys)

    def _close(self) -> None:
        if self.auth is not None:
            self.auth.stop()
        for sock in (self.bus, self.control, self.events):
            sock.close(0)
        self.zctx.term()
        for name in ("bus", "control", "events"):
            try:
                (self.home.run / f"{name}.sock").unlink()
            except OSError:
                pass

    # --- events ------------------------------------------------------------------------------
    def publish(self, topic: str, body: dict[str, Any], sender: str = NAME) -> None:
        env = P.envelope("event", sender, "*", topic, body)
        try:
            self.events.send_multipart([topic.encode(), self.codec.encode(env)], zmq.NOBLOCK)
        except (zmq.ZMQError, P.ProtocolError):
            pass
        log.info("event %s %s", topic, body)
        if sender == NAME and topic in RECORDED:
            self.outbox.add(topic, body, time.time())

    def _flush_outbox(self) -> None:
        """Send Memory what it has not acknowledged yet (its reply's ids are the acks)."""
        memory = next((c for c in self.children.values() if c.spec.kind == "memory" and not c.remote), None)
        if memory is None or not memory.routable:
            return
        batch = self.outbox.due(time.monotonic(), self.codec.max_bytes // 2)
        if not batch:
            return
        try:
            frame = self.codec.encode(P.envelope("ask", NAME, memory.name, "event.record", {"events": batch}))
        except P.ProtocolError as exc:  # one event bigger than any message may be: it can never go
            log.error("outbox: dropping %d event(s) Memory can never receive: %s", len(batch), exc.message)
            self.outbox.ack([e["id"] for e in batch])
            return
        if not self._deliver(memory, frame):
            self.outbox.unsent(batch)

    def _llm_tick(self, now: float) -> None:
        """The endpoints: probe results in, due probes out, lost tickets dropped; an event when an
        endpoint's state changes kind (ok, busy, erroring, breaker open, down, waiting, starting).
        Also reads newly issued or removed CURVE keys (a remote builder needs no restart)."""
        for job, result in self.prober.results():
            self.llm.apply(job, result, now)
            self._changed()
        for job in self.llm.jobs(now):
            self.prober.submit(job)
        if now < self._next_llm_check:
            return
        self._next_llm_check = now + 0.5
        self.llm.expire(now)
        for change in self.llm.changes(self.llm_status()["endpoints"], state_kind):
            self.publish("llm.state", change)
        if self.keywatch is not None and self.auth is not None and self.keywatch.changed():
            log.info("authorised keys changed: %d key(s) now", reload_keys(self.auth, self.home.keys))

    def _llm_op(self, ident: bytes, env: dict[str, Any]) -> None:
        """`llm.assign` (ask) and `llm.done` (tell) from a builder or the trainer."""
        child = self.children.get(env["from"])
        if child is None or child.spec.kind not in ("builder", "trainer"):
            self._answer(ident, env, P.FORBIDDEN, f"{env['op']} is for builders and the trainer")
            return
        body, now = env["body"], time.monotonic()
        if env["op"] == "llm.done":
            self.llm.done(str(body["ticket"]), bool(body["ok"]), str(body.get("kind") or ""),
                          str(body.get("error") or ""), now)
        elif env["kind"] == "ask":
            reply = P.reply_to(env, NAME, self.llm.assign(env["from"], now, bool(body.get("check"))))
            try:
                self.bus.send_multipart([ident, self.codec.encode(reply)], zmq.NOBLOCK)
            except (zmq.ZMQError, P.ProtocolError):
                pass
        self._changed()

    def _changed(self) -> None:
        """Something `status` shows changed: the cached status body is stale."""
        self._status_body = None

    def _set_state(self, child: Child, state: str, **extra: Any) -> None:
        self._changed()
        if child.state != state:
            child.state = state
            self.publish("child.state", {"name": child.name, "state": state, "pid": child.pid,
                                         "restarts": child.restarts, **extra})

    # --- children ------------------------------------------------------------------------------
    def _add_specs(self, specs: list[ChildSpec]) -> None:
        for spec in specs:
            if spec.name in self.children:
                self.children[spec.name].spec = spec
                continue
            self.children[spec.name] = new_child(spec, self.policy)
            self.order.append(spec.name)
            if spec.kind == "llm" and spec.url and not self.llm_url:
                self.llm_url = spec.url

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Children import this very tree, installed or not (cwd is HOME, not the checkout).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH")]))
        env.update(config_env(self.cfg))
        if self.llm_url and not self.cfg.llm.urls and not self.cfg.llm.endpoints:
            env["COGLOOP_LLM_URL"] = self.llm_url  # the embedded server's
        return env

    def _log_file(self, name: str):
        path = self.home.logs / f"{name}.log"
        d = self.cfg.daemon
        # Children write plain stderr; rotate their file at each start once it is too big.
        if path.exists() and path.stat().st_size > d.log_max_bytes:
            for i in range(d.log_backups - 1, 0, -1):
                src = path.with_name(f"{name}.log.{i}")
                if src.exists():
                    src.replace(path.with_name(f"{name}.log.{i + 1}"))
            path.replace(path.with_name(f"{name}.log.1"))
        return open(path, "ab")

    def _take_spare(self, spec: ChildSpec) -> subprocess.Popen | None:
        """Hand a warm spare its name: a restart without interpreter start and imports."""
        spare = self.spares.pop(spec.kind, None)
        if spare is None or spare.poll() is not None or spare.stdin is None:
            return None
        self._log_file(spec.name).close()  # rotate before the spare opens it
        try:
            spare.stdin.write(f"{spec.name}\n".encode())
            spare.stdin.close()
        except OSError:
            spare.kill()
            return None
        return spare

    def _ensure_spares(self) -> None:
        """One warm spare per actor kind, made while nothing else is starting."""
        if not self.cfg.daemon.warm_spares or self.stopping or not self.started_all:
            return
        if any(c.state == "starting" for c in self.children.values()):
            return
        for kind in dict.fromkeys(c.spec.kind for c in self.children.values()
                                  if not c.remote and not c.spec.external and c.state != "fatal"):
            spare = self.spares.get(kind)
            if spare is not None and spare.poll() is None:
                continue
            argv = spare_argv(kind, str(self.home.root), self.config_file, os.getpid())
            with open(self.home.logs / "spares.log", "ab") as logf:
                self.spares[kind] = subprocess.Popen(argv, env=self._child_env(), stdin=subprocess.PIPE,
                                                     stdout=logf, stderr=subprocess.STDOUT, close_fds=True,
                                                     cwd=str(self.home.root), process_group=0)
            return  # one per tick

    def _dismiss_spares(self) -> None:
        for spare in self.spares.values():
            try:
                if spare.stdin is not None:
                    spare.stdin.close()  # EOF: the spare exits
            except OSError:
                pass
        self._old_spares += list(self.spares.values())
        self.spares = {}

    def spawn(self, child: Child) -> None:
        spec = child.spec
        if spec.external:
            argv = external_argv(spec, os.getpid())
        else:
            argv = actor_argv(spec, str(self.home.root), self.config_file, os.getpid())
        env = self._child_env()
        env.update(spec.env)
        spare = None if spec.external else self._take_spare(spec)
        if spare is not None:
            child.proc = spare
        else:
            with self._log_file(spec.name) as logf:
                try:
                    # Its own process group: a terminal's Ctrl-C (SIGINT to the foreground group)
                    # reaches only the supervisor, which then stops the children in reverse order.
                    # PR_SET_PDEATHSIG still takes them down with the supervisor.
                    child.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                                  stderr=subprocess.STDOUT, close_fds=True,
                                                  cwd=str(self.home.root), process_group=0)
                except OSError as exc:
                    log.error("cannot start %s: %s", spec.name, exc)
                    child.proc = None
                    self._on_exit(child, -1)
                    return
        child.pid = child.proc.pid
        child.started_at = time.monotonic()
        child.last_hb = None
        child.routable = False
        child.stop_reason = ""
        child.term_at = child.kill_at = None
        child.next_start_at = None
        child.ready_flag = False
        self._set_state(child, "starting")
        if spec.external and spec.ready is not None:
            threading.Thread(target=self._wait_ready, args=(child, child.proc), daemon=True).start()
        elif spec.external:
            child.ready_flag = True
        self._update_sampler()

    def _wait_ready(self, child: Child, proc: subprocess.Popen) -> None:
        while proc.poll() is None and child.proc is proc:
            try:
                if child.spec.ready and child.spec.ready():
                    child.ready_flag = True
                    return
            except Exception:
                pass
            time.sleep(0.25)

    def _update_sampler(self) -> None:
        self.sampler.pids = {c.name: c.pid for c in self.children.values()
                             if c.pid and c.state in ("starting", "running") and not c.remote}

    def _became_ready(self, child: Child) -> None:
        child.routable = True
        if child.spec.kind == "memory":
            self.outbox.reset()  # a new Memory: what the old one did not acknowledge goes again
        self._set_state(child, "running")
        if self.paused and not child.spec.external:
            self._send_to(child.name, P.envelope("tell", NAME, child.name, "actor.pause", {}))
        self._flush_backlog(child)

    def _flush_backlog(self, child: Child) -> None:
        """Deliver what waits, in order, until the actor's pipe is full (then the next tick)."""
        while child.backlog and child.routable:
            frame, meta = child.backlog[0]
            if not self._deliver(child, frame):
                break
            child.backlog.popleft()
            self._changed()

    def _on_exit(self, child: Child, rc: int) -> None:
        now = time.monotonic()
        pid = child.pid
        ran_for = now - child.started_at
        self._changed()
        child.proc = None
        child.routable = False
        self._fail_forwards(child.name, f"{child.name} exited")
        self.llm.forget(child.name)
        reason = child.stop_reason
        if self.stopping or reason == "stop":
            self._set_state(child, "stopped", returncode=rc)
            child.pid = None
            if child.name not in self.order:  # removed by a reload
                self._fail_backlog(child, P.UNAVAILABLE, f"{child.name} was removed")
                self.children.pop(child.name, None)
        elif reason == "restart":
            child.restarts += 1
            self.spawn(child)
        else:
            child.restarts += 1
            delay = child.tracker.on_crash(now, ran_for)
            what = reason or exit_reason(rc)
            if not reason:  # nobody asked it to go: a crash (a hang or start timeout was published already)
                self.publish("child.crash", {"name": child.name, "pid": pid, "returncode": rc, "reason": what,
                                             "ran_for_s": round(ran_for, 3)})
            if delay is None:
                self._set_state(child, "fatal", reason=what)
                self.publish("child.fatal", {"name": child.name, "restarts": child.restarts, "reason": what,
                                             "limit": f"more than {self.policy.intensity} restarts in "
                                                      f"{self.policy.period_s:g}s"})
                self._fail_backlog(child, P.UNAVAILABLE, f"{child.name} is fatal (restart limit)")
            else:
                self.publish("child.restart", {"name": child.name, "restarts": child.restarts,
                                               "reason": what, "delay_s": delay})
                if delay <= 0:
                    self.spawn(child)
                else:
                    child.next_start_at = now + delay
                    self._set_state(child, "backoff", delay_s=delay)
        self._update_sampler()

    def _reap(self) -> None:
        for child in list(self.children.values()):
            if child.proc is not None:
                rc = child.proc.poll()
                if rc is not None:
                    self._on_exit(child, rc)

    def _signal(self, child: Child, sig: int) -> None:
        if child.proc is not None and child.proc.poll() is None:
            try:
                child.proc.send_signal(sig)
                if sig == signal.SIGTERM:
                    child.proc.send_signal(signal.SIGCONT)  # a stopped process must run to die
            except ProcessLookupError:
                pass

    def _end(self, child: Child, reason: str, graceful: bool) -> None:
        """Make a live child exit: actor.stop first when graceful, SIGTERM, SIGKILL after grace."""
        child.stop_reason = reason
        child.routable = False
        now = time.monotonic()
        grace = self.cfg.daemon.stop_grace_s
        if graceful and not child.spec.external and child.last_hb is not None:
            self._send_to(child.name, P.envelope("tell", NAME, child.name, "actor.stop", {}))
            child.term_at = now + grace
        else:
            self._signal(child, signal.SIGTERM)
            child.term_at = now
        child.kill_at = child.term_at + grace
        if self.stopping:  # the whole stop fits in one grace period, however many children
            child.term_at = min(child.term_at, self.stop_soft_at)
            child.kill_at = min(child.kill_at, self.stop_deadline)

    def _start_timeout(self, child: Child) -> float:
        if child.spec.kind == "llm":
            return max(self.cfg.daemon.start_timeout_s, self.cfg.embedded.start_timeout_s)
        return self.cfg.daemon.start_timeout_s

    def _timers(self) -> None:
        now = time.monotonic()
        d = self.cfg.daemon
        for child in list(self.children.values()):
            if child.remote:
                silent = now - (child.last_hb or now)
                if child.state == "running" and silent > d.missed_heartbeats * d.heartbeat_s:
                    child.routable = False
                    self._set_state(child, "stopped", reason="heartbeats stopped")
                elif child.state == "stopped" and silent > 60:
                    self._fail_backlog(child, P.UNAVAILABLE, f"{child.name} left")
                    del self.children[child.name]
                continue
            if child.state == "backoff" and child.next_start_at is not None and now >= child.next_start_at \
                    and not self.stopping:
                self.spawn(child)
            if child.proc is None:
                continue
            if child.kill_at is not None:
                if now >= child.kill_at:
                    self._signal(child, signal.SIGKILL)
                elif child.term_at is not None and now >= child.term_at:
                    self._signal(child, signal.SIGTERM)
                    child.term_at = None
                continue
            if child.state == "starting":
                if child.spec.external and child.ready_flag:
                    child.last_hb = now
                    self._became_ready(child)
                elif now - child.started_at > self._start_timeout(child):
                    self.publish("child.hung", {"name": child.name, "reason": "start timeout"})
                    self._end(child, "start timeout", graceful=False)
            elif child.state == "running" and not child.spec.external and child.last_hb is not None \
                    and now - child.last_hb > d.missed_heartbeats * d.heartbeat_s and self.bus_drained:
                # Judged only with the bus read to the end: an unread heartbeat is no silence.
                self.publish("child.hung", {"name": child.name, "pid": child.pid,
                                            "silent_s": round(now - child.last_hb, 3)})
                self._end(child, "hung (missed heartbeats)", graceful=False)
        if self.forward_waits:
            self._expire_forward_waits(now)
        for fid in [f for f, v in self.forwards.items() if v[2] < now]:
            self._fail_forward(fid, P.TIMEOUT, f"{self.forwards[fid][3]} did not answer")
        if self.dropped != self._dropped_reported and now >= self._next_drop_report:
            self.publish("bus.dropped", {"frames": self.dropped})
            self._dropped_reported = self.dropped
            self._next_drop_report = now + 1.0

    # --- the bus --------------------------------------------------------------------------------
    def _send_to(self, name: str, env: dict[str, Any]) -> bool:
        try:
            self.bus.send_multipart([name.encode(), self.codec.encode(env)], zmq.NOBLOCK)
            return True
        except (zmq.ZMQError, P.ProtocolError):
            return False

    def _deliver(self, child: Child, frame: bytes) -> bool:
        try:
            self.bus.send_multipart([child.name.encode(), frame], zmq.NOBLOCK)
            return True
        except zmq.Again:  # its pipe is full (HWM): back-pressure, it is still there
            return False
        except zmq.ZMQError:  # EHOSTUNREACH: gone since its last heartbeat
            child.routable = False
            return False

    def _answer(self, ident: bytes, request: dict[str, Any], code: str, message: str) -> None:
        if request.get("kind") == "ask":
            try:
                self.bus.send_multipart([ident, self.codec.encode(P.error_to(request, NAME, code, message))],
                                        zmq.NOBLOCK)
            except (zmq.ZMQError, P.ProtocolError):
                pass
        else:
            self.dropped += 1

    def _fail_backlog(self, child: Child, code: str, message: str) -> None:
        self._changed()
        while child.backlog:
            _, meta = child.backlog.popleft()
            if meta["from"] == CLI:  # a forward waiting for the restart: answer the operator
                self._fail_forward(meta["id"], code, message)
            else:
                self._answer(meta["from"].encode(), meta, code, message)

    def _route(self, ident: bytes, frame: bytes, env: dict[str, Any]) -> None:
        to = env["to"]
        child = self.children.get(to)
        if child is None or child.state in ("fatal", "stopped") or child.spec.external:
            self._answer(ident, env, P.UNAVAILABLE, f"no actor {to!r} is running")
            return
        if env["kind"] in ("reply", "error") and child.stop_reason and child.proc is not None \
                and not child.backlog:
            # Ending, so closed to new requests, but it may wait on an answer (a builder giving its
            # lease back): replies still go straight through while its process is there.
            self._deliver(child, frame)
            return
        self._enqueue(child, ident, frame, env)

    def _enqueue(self, child: Child, ident: bytes, frame: bytes, env: dict[str, Any]) -> None:
        """Straight through when nothing waits before it, else behind the backlog (order kept)."""
        if child.routable and not child.backlog and self._deliver(child, frame):
            return
        if len(child.backlog) >= self.cfg.daemon.backlog:
            self._answer(ident, env, P.BACKLOG_FULL, f"{child.name} is restarting or busy and its backlog is full")
            return
        meta = {k: env[k] for k in ("id", "kind", "from", "op")}
        child.backlog.append((frame, meta))
        self._changed()

    def _on_heartbeat(self, ident: bytes, name: str, body: dict[str, Any]) -> None:
        child = self.children.get(name)
        now = time.monotonic()
        pid = body.get("pid")
        if child is None:
            # A remote actor joining over the (CURVE) tcp bus; bounded, and only known kinds.
            kind = body.get("kind")
            remote = [c for c in self.children.values() if c.remote]
            if kind not in ACTOR_CLASSES or len(remote) >= MAX_REMOTE:
                self.dropped += 1
                return
            child = new_child(ChildSpec(name, kind), self.policy, remote=True)
            self.children[name] = child
        if child.remote:
            child.pid = pid if isinstance(pid, int) else None
            if child.state != "running":
                child.started_at = now
        elif child.proc is None or pid != child.pid or child.stop_reason:
            return  # a stale incarnation, or one we are ending: no ack, no routing
        child.last_hb = now
        self._send_to(name, P.envelope("hb", NAME, name, P.HEARTBEAT_OP, {}))
        if child.state != "running" or not child.routable:
            self._became_ready(child)

    def _on_bus(self) -> None:
        # A time slice, so a flood on the bus cannot starve the control socket and timers.
        self.bus_drained = False
        until = time.monotonic() + SLICE_S
        while time.monotonic() < until:
            try:
                frames = self.bus.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                self.bus_drained = True
                return
            if len(frames) != 2:
                self.dropped += 1
                continue
            ident, frame = frames
            try:
                env = self.codec.decode(frame)
            except P.ProtocolError as problem:
                ask = P.ask_of(problem)
                if ask is not None:
                    self._answer(ident, ask, problem.code, problem.message)
                else:
                    self.dropped += 1
                continue
            sender = ident.decode("utf-8", "replace")
            if env["from"] != sender or sender in P.RESERVED_NAMES:
                self._answer(ident, env, P.FORBIDDEN, f"`from` must be the sender's own name ({sender!r})")
                continue
            kind = env["kind"]
            if kind == "hb":
                self._on_heartbeat(ident, sender, env["body"])
            elif kind == "event":
                self.publish(env["op"], env["body"], sender=sender)
            elif env["to"] == CLI:
                self._forward_answer(env)
            elif env["to"] == NAME and kind == "reply" and env["op"] == "event.record":
                self.outbox.ack(env["body"].get("ids"))
            elif env["to"] == NAME and env["op"].startswith("llm."):
                self._llm_op(ident, env)
            elif env["to"] == NAME:
                if kind == "ask":
                    reply = self._control_op(env)
                    try:
                        self.bus.send_multipart([ident, self.codec.encode(reply)], zmq.NOBLOCK)
                    except (zmq.ZMQError, P.ProtocolError):
                        pass
            elif kind in P.REQUEST_KINDS or kind in ("reply", "error"):
                self._route(ident, frame, env)

    # --- control ------------------------------------------------------------------------------
    def _control_send(self, prefix: list[bytes], env: dict[str, Any]) -> None:
        try:
            self.control.send_multipart([*prefix, self.codec.encode(env)], zmq.NOBLOCK)
        except (zmq.ZMQError, P.ProtocolError):
            pass  # the client went away; Lazy Pirate clients retry

    def _on_control(self) -> None:
        """One request per wake-up: the poll said one is there, and asking whether there is
        another (a zmq.Again, ~9 us, or ZMQ_EVENTS, ~5 us) would cost more than the main loop's
        next poll, which reports the socket again if it is. CLI traffic is never a flood."""
        try:
            frames = self.control.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return
        # DEALER clients send [payload]; REQ clients add an empty delimiter.
        if len(frames) not in (2, 3) or (len(frames) == 3 and frames[1] != b""):
            self.dropped += 1
            return
        prefix, frame = frames[:-1], frames[-1]
        try:
            env = self.codec.decode(frame)
        except P.ProtocolError as problem:
            ask = P.ask_of(problem)
            if ask is not None:
                self._control_send(prefix, P.error_to(ask, NAME, problem.code, problem.message))
            else:
                self.dropped += 1
            return
        if env["kind"] not in P.REQUEST_KINDS:
            self.dropped += 1
            return
        if env["to"] != NAME:
            reply = P.error_to(env, NAME, P.BAD_REQUEST, "the control socket speaks to the supervisor "
                                                        "only; use op 'forward' to reach an actor")
        elif env["op"] == "forward":
            reply = self._forward(prefix, env)
        elif env["op"] == "status":
            if env["kind"] == "ask":
                self._send_status(prefix, env)
            return
        else:
            reply = self._control_op(env)
        if reply is not None and env["kind"] == "ask":
            self._control_send(prefix, reply)

    def _send_status(self, prefix: list[bytes], env: dict[str, Any]) -> None:
        """The hot control op: the reply is spliced around a pre-encoded status body, rebuilt when
        something changed or STATUS_TTL_S passed (`cogloop status`, `wait`, tests polling)."""
        now = time.monotonic()
        cached = self._status_body
        if cached is None or now - cached[0] > STATUS_TTL_S:
            cached = self._status_body = (now, msgpack.packb({"status": self.status()}, use_bin_type=True))
        frame = P.reply_frame(env, NAME, cached[1])
        if len(frame) > self.codec.max_bytes:
            self._control_send(prefix, P.error_to(env, NAME, P.INTERNAL, "status is larger than max_msg_bytes"))
            return
        try:
            self.control.send_multipart([*prefix, frame], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass  # the client went away; Lazy Pirate clients retry

    def _forward(self, prefix: list[bytes], env: dict[str, Any]) -> dict[str, Any] | None:
        body = env["body"]
        to, op, inner = body["to"], body["op"], body["body"]
        child = self.children.get(to)
        wait_s = float(body.get("wait_s") or 0.0)
        # wait_s > 0: an actor that is restarting (starting, backoff) gets it after the restart.
        restarting = child is not None and wait_s > 0 and child.state in ("starting", "backoff") \
            and not self.stopping and not child.remote
        if child is None or (not child.routable and not restarting) or child.spec.external:
            state = child.state if child else "unknown"
            return P.error_to(env, NAME, P.UNAVAILABLE, f"{to} is not running ({state})")
        problem = P.validate_body(op, inner)
        if problem:
            return P.error_to(env, NAME, P.UNKNOWN_OP if op not in P.OPS else P.BAD_REQUEST, problem)
        if len(self.forwards) >= MAX_FORWARDS:
            return P.error_to(env, NAME, P.BACKLOG_FULL, "too many forwarded asks in flight")
        ask = P.envelope("ask", CLI, to, op, inner)
        try:
            frame = self.codec.encode(ask)
        except P.ProtocolError as exc:
            return P.error_to(env, NAME, exc.code, exc.message)
        if len(child.backlog) >= self.cfg.daemon.backlog:
            return P.error_to(env, NAME, P.BACKLOG_FULL, f"{to} is busy and its backlog is full")
        self.forwards[ask["id"]] = (prefix, env, time.monotonic() + FORWARD_TTL_S, to)
        if wait_s > 0:
            self.forward_waits[ask["id"]] = time.monotonic() + min(wait_s, FORWARD_TTL_S)
        # Running but with a full pipe: it waits its turn (an error to `cli` is dropped unread).
        self._enqueue(child, CLI.encode(), frame, ask)
        return None

    def _forward_answer(self, env: dict[str, Any]) -> None:
        entry = self.forwards.pop(env.get("re", ""), None)
        self.forward_waits.pop(env.get("re", ""), None)
        if entry is None:
            return
        prefix, request, _, to = entry
        if env["kind"] == "error":
            err = env["body"]
            out = P.error_to(request, NAME, str(err.get("code", P.INTERNAL)), str(err.get("message", "")))
        else:
            out = P.reply_to(request, NAME, {"reply": env["body"]})
        self._control_send(prefix, out)

    def _fail_forward(self, fid: str, code: str, message: str) -> None:
        entry = self.forwards.pop(fid, None)
        self.forward_waits.pop(fid, None)
        if entry is not None:
            prefix, request, _, _ = entry
            self._control_send(prefix, P.error_to(request, NAME, code, message))

    def _fail_forwards(self, to: str, message: str) -> None:
        """The forwards `to` was handed: its process died, so their answers will never come.
        (At most once: it may have acted on them. Those still in its backlog wait for the restart.)"""
        child = self.children.get(to)
        waiting = {meta["id"] for _, meta in child.backlog} if child is not None else set()
        for fid in [f for f, v in self.forwards.items() if v[3] == to and f not in waiting]:
            self._fail_forward(fid, P.UNAVAILABLE, message)

    def _expire_forward_waits(self, now: float) -> None:
        """A forward that waited `wait_s` for its restarting actor and is still in the backlog is
        taken out and answered `timeout`: a timeout means it was not delivered."""
        for fid in [f for f, t in self.forward_waits.items() if t < now]:
            del self.forward_waits[fid]
            entry = self.forwards.get(fid)
            child = self.children.get(entry[3]) if entry else None
            if child is None:
                continue
            for item in child.backlog:
                if item[1]["id"] == fid:
                    child.backlog.remove(item)
                    self._changed()
                    self._fail_forward(fid, P.TIMEOUT, f"{child.name} still not running ({child.state}) "
                                                       "after the forward's wait_s")
                    break

    def _control_op(self, env: dict[str, Any]) -> dict[str, Any]:
        op, body = env["op"], env["body"]
        try:
            if op == "ping":
                out: dict[str, Any] = {"pong": time.time()}
            elif op == "status":
                out = {"status": self.status()}
            elif op in ("pause", "resume"):
                self.set_paused(op == "pause")
                out = {"paused": self.paused}
            elif op == "restart":
                out = self.restart(body["actor"])
            elif op == "stop":
                self.begin_stop("stop requested")
                out = {"stopping": True}
            elif op == "reload":
                self.reload()
                out = {"reloaded": True}
            elif op == "config":
                local = [c.spec for c in self.children.values() if not c.remote]
                out = {"config": self.cfg.to_dict(), "source": self.cfg.source,
                       "endpoints": [{"child": "", **e} for e in endpoint_specs(self.cfg, local)]}
            else:
                return P.error_to(env, NAME, P.UNKNOWN_OP, f"the supervisor does not handle {op!r}")
        except CogloopError as exc:
            return P.error_to(env, NAME, P.BAD_REQUEST, str(exc))
        return P.reply_to(env, NAME, out)

    # --- operations -------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        samples = self.sampler.samples
        children = []
        for name in self.order + [n for n, c in self.children.items() if c.remote]:
            c = self.children[name]
            rss, cpu = samples.get(c.pid or -1, (None, None))
            children.append({
                "name": name, "pid": c.pid, "state": c.state, "restarts": c.restarts,
                "uptime_s": c.uptime_s(),
                # An external program (the model server) sends no heartbeats; its health is llm.state.
                "last_heartbeat_s": (round(now - c.last_hb, 3)
                                     if c.last_hb is not None and not c.spec.external else None),
                "backlog": len(c.backlog), "rss_mb": rss, "cpu_percent": cpu,
            })
        return {
            "home": str(self.home.root), "pid": os.getpid(), "uptime_s": round(now - self.started, 3),
            "paused": self.paused,
            "isolation": self.sampler.isolation or {"network": False, "filesystem": False, "pid": False,
                                                    "uid": False, "note": "not probed yet"},
            "llm": self.llm_status(),
            "children": children,
        }

    def llm_status(self) -> dict[str, Any]:
        """{"url", "model", "state", "endpoints": [...]}: the first endpoint's, then every one's."""
        children = {c.name: c.state for c in self.children.values() if c.spec.kind == "llm" and not c.remote}
        note = next((n for n in self.notes if "embedded model" in n), "")
        return self.llm.status(time.monotonic(), children, note)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._changed()
        op = "actor.pause" if paused else "actor.resume"
        for c in self.children.values():
            if c.routable and not c.spec.external:
                self._send_to(c.name, P.envelope("tell", NAME, c.name, op, {}))
        self.publish("supervisor.paused" if paused else "supervisor.resumed", {"paused": paused})

    def restart(self, name: str) -> dict[str, Any]:
        child = self.children.get(name)
        if child is None or child.remote:
            raise CogloopError(f"no child named {name!r} (children: {', '.join(self.order)})")
        if self.stopping:
            raise CogloopError("the daemon is stopping")
        child.tracker.reset()
        self._changed()
        if child.proc is None:
            child.restarts += 1 if child.state != "stopped" else 0
            self.spawn(child)
        else:
            self._end(child, "restart", graceful=True)
        self.publish("child.restart", {"name": name, "restarts": child.restarts, "reason": "operator"})
        return {"actor": name, "state": child.state}

    def reload(self) -> None:
        """Re-read the configuration: timings and limits now, new children started, removed ones stopped."""
        cfg = load_config(self.home.root, self.config_file, overrides=self.overrides)
        specs, notes = child_specs(cfg, self.home.root)
        self._changed()
        self.cfg, self.notes = cfg, notes
        llm_child = next((s for s in specs if s.kind == "llm"), None)
        self.llm_url = cfg.llm.urls[0] if cfg.llm.urls else (llm_child.url if llm_child else "")
        self.llm.configure(endpoint_specs(cfg, specs), cfg.llm)
        if self.auth is not None:
            log.info("authorised keys read again: %d key(s)", reload_keys(self.auth, self.home.keys))
        self._dismiss_spares()  # they hold the old configuration
        self.policy = RestartPolicy.from_config(cfg.daemon)
        wanted = {s.name for s in specs}
        for name in list(self.order):
            if name not in wanted:
                child = self.children[name]
                if child.proc is not None:
                    self._end(child, "stop", graceful=True)
                else:
                    self._set_state(child, "stopped")
                self.order.remove(name)
                if child.proc is None:
                    self.children.pop(name)
        new = [s for s in specs if s.name not in self.children]
        self._add_specs(specs)
        for c in self.children.values():
            c.tracker.policy = self.policy
        for spec in new:
            self.spawn(self.children[spec.name])
        self.publish("supervisor.reloaded", {"children": self.order, "notes": notes})

    def begin_stop(self, why: str) -> None:
        if self.stopping:
            return
        self.stopping = True
        self._changed()
        grace = self.cfg.daemon.stop_grace_s
        now = time.monotonic()
        # One at a time in reverse order while time allows; at 3/4 of the grace the rest get
        # SIGTERM together; at the grace SIGKILL. `cogloop down` returns within stop_grace_s.
        self.stop_soft_at = now + 0.75 * grace
        self.stop_deadline = now + grace
        self.publish("supervisor.stopping", {"reason": why})
        self.stop_queue = list(reversed(self.order))
        self._dismiss_spares()
        for c in self.children.values():
            if c.remote:
                self._send_to(c.name, P.envelope("tell", NAME, c.name, "actor.stop", {}))

    def _stop_step(self) -> bool:
        """Stop children one at a time, last started first; True when all are gone."""
        if self.stop_queue and time.monotonic() >= self.stop_soft_at:
            for name in self.stop_queue:  # out of time for one at a time
                child = self.children.get(name)
                if child is not None and child.proc is not None and child.stop_reason != "stop":
                    self._end(child, "stop", graceful=False)
        while self.stop_queue:
            child = self.children.get(self.stop_queue[0])
            if child is None or child.proc is None:
                if child is not None and child.state != "stopped":
                    self._fail_backlog(child, P.UNAVAILABLE, "the daemon is stopping")
                    self._set_state(child, "stopped")
                self.stop_queue.pop(0)
                continue
            if child.stop_reason != "stop":
                self._end(child, "stop", graceful=child.routable)
            return False
        return all(c.proc is None for c in self.children.values())

    # --- the loop ---------------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals.append(signum)

    def _handle_signals(self) -> None:
        while self._signals:
            sig = self._signals.pop(0)
            if sig in (signal.SIGTERM, signal.SIGINT):
                if self.stopping and sig == signal.SIGINT:
                    for c in self.children.values():  # a second ^C: no more waiting
                        self._signal(c, signal.SIGKILL)
                self.begin_stop(signal.Signals(sig).name)
            elif sig == signal.SIGHUP:
                try:
                    self.reload()
                    log.info("configuration reloaded")
                except CogloopError as exc:
                    log.error("reload refused, keeping the old configuration: %s", exc)
                    self.publish("supervisor.reload_failed", {"error": str(exc)})

    def _housekeeping(self) -> bool:
        """Reaping, ordered start, timers, spares, the stop sequence; True when all is stopped."""
        self._reap()
        # Ordered start: the next child once the previous one is up (or given up on).
        while not self.stopping and self._starting_index < len(self.order):
            i = self._starting_index
            prev = self.children[self.order[i - 1]] if i else None
            # (An external program, the model server, may take minutes to load: nobody waits on it.)
            if prev is not None and prev.state == "starting" and not prev.spec.external:
                break
            child = self.children[self.order[i]]
            if child.state == "stopped" and child.proc is None:
                self.spawn(child)
            self._starting_index += 1
        if self._starting_index >= len(self.order):
            self.started_all = True
        for child in self.children.values():
            if child.backlog and child.routable:
                self._flush_backlog(child)
        self._timers()
        self._flush_outbox()
        self._llm_tick(time.monotonic())
        self._ensure_spares()
        self._old_spares = [p for p in self._old_spares if p.poll() is None]
        return self.stopping and self._stop_step()

    def run(self) -> int:
        # The sampler thread must not hold the GIL for long while a request waits.
        sys.setswitchinterval(0.0005)
        self._bind()
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, self._on_signal)
        specs, self.notes = child_specs(self.cfg, self.home.root)
        for note in self.notes:
            log.warning(note)
        self._add_specs(specs)
        self.llm.configure(endpoint_specs(self.cfg, specs), self.cfg.llm)
        self.sampler.start()
        self.publish("supervisor.start", {"pid": os.getpid(), "children": self.order, "notes": self.notes,
                                          "unclean_exit_of": self.unclean_pid})
        if self.unclean_pid:
            self.publish("supervisor.crash", {"pid": self.unclean_pid, "reason": "the previous supervisor exited "
                                              "without releasing its pidfile (kill -9, OOM or power loss)"})
        poller = zmq.Poller()
        poller.register(self.bus, zmq.POLLIN)
        poller.register(self.control, zmq.POLLIN)
        poller.register(wake_r, zmq.POLLIN)
        self._starting_index = 0
        next_housekeeping = 0.0
        try:
            while True:
                events = dict(poller.poll(TICK_S * 1000))
                if wake_r in events:  # a signal: SIGCHLD (reaped below), TERM, INT, HUP
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self._signals = [s for s in self._signals if s != signal.SIGCHLD]
                    self._handle_signals()
                    self._reap()
                if self.control in events:
                    self._on_control()
                if self.bus in events or not self.bus_drained:
                    self._on_bus()
                # Timers need not run after every message: keep the request path short.
                now = time.monotonic()
                if now >= next_housekeeping or not events:
                    next_housekeeping = now + HOUSEKEEPING_S
                    if self._housekeeping():
                        break
        finally:
            self.publish("supervisor.stopped", {"pid": os.getpid()})
            for c in self.children.values():
                self._signal(c, signal.SIGKILL)
                if c.proc is not None:
                    c.proc.wait()
            self._dismiss_spares()
            for spare in self._old_spares:
                spare.kill()
                spare.wait()
            self.sampler.stop()
            self.prober.stop()
            signal.set_wakeup_fd(-1)
            self._close()
        return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m supervisor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True)
    p.add_argument("--config")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="a configuration override (what `cogloop up` flags become)")
    p.add_argument("--log-file", help="log here (rotating) instead of stderr")
    return p.parse_args(argv)


def _setup_logging(log_file: str | None, cfg: Config | None) -> None:
    fmt = logging.Formatter("%(asctime)s supervisor[%(process)d] %(levelname)s %(message)s")
    if log_file:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=cfg.daemon.log_max_bytes if cfg else 5_000_000,
            backupCount=cfg.daemon.log_backups if cfg else 5)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        home = Home(Path(args.home).expanduser().absolute()).ensure()
    except OSError as exc:
        print(f"cogloop: cannot prepare the home {args.home}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"cogloop: --set expects SECTION.KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[key] = value
    pidfile = PidFile(home.pidfile)
    try:
        pidfile.acquire()
    except AlreadyRunning as exc:
        print(f"cogloop: a daemon is already running at {home.root} (pid {exc.pid}); "
              "'cogloop down' stops it", file=sys.stderr)
        return 1
    try:
        try:
            sup = Supervisor(home, args.config, overrides, unclean_pid=pidfile.stale_pid)
            _setup_logging(args.log_file, sup.cfg)
            return sup.run()
        except (CogloopError, CurveRefused, ValueError) as exc:
            print(f"cogloop: {exc}", file=sys.stderr)
            log.error("%s", exc)
            return 2
        except zmq.ZMQError as exc:  # e.g. an ipc path longer than a unix socket allows (~107 bytes)
            print(f"cogloop: cannot open the daemon's sockets in {home.run}: {exc}", file=sys.stderr)
            log.error("sockets: %s", exc)
            return 1
    finally:
        pidfile.release()


if __name__ == "__main__":
    sys.exit(main())
