"""The actor process: one pykka ThreadingActor (the logic) plus one pump thread (the socket).

    python -m actors.runtime --name builder-1 --kind builder --home H [--config F]
                             [--connect ENDPOINT] [--parent-pid PID] [--keys DIR]

Public face (docs/contracts.md): `BusActor`, `handles`, `ActorContext`, `Bus`, `ActorError`,
`RemoteError`, `BusTimeout`, `ACTOR_CLASSES`. Handlers and `work()` run in the actor's
thread; only the pump thread touches the zmq socket.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import signal
import sys
import threading
import traceback
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pykka

from actors import protocol as P
from actors._bus import ActorError, Bus, BusTimeout, CurveKeys, Pump, RemoteError
from actors._pdeath import set_pdeathsig
from actors._spare import Prepared, prepare_ahead

__all__ = ["ACTOR_CLASSES", "ActorContext", "ActorError", "Bus", "BusActor", "BusTimeout",
           "RemoteError", "handles", "load_actor_class", "load_plugins", "main"]

log = logging.getLogger("cogloop.runtime")

# kind -> "module:Class"; imported lazily so a missing module only fails its own actor.
ACTOR_CLASSES: dict[str, str] = {
    "memory": "actors.memory:MemoryActor",
    "scorer": "actors.scorer.actor:ScorerActor",
    "trainer": "actors.trainer.actor:TrainerActor",
    "builder": "actors.builder.actor:BuilderActor",
}


def load_plugins(spec: str) -> None:
    """Import the modules named in `daemon.plugins` ("a.b, c.d"). A plugin adds actor kinds to
    ACTOR_CLASSES and their ops to the registry (actors.protocol.register); the supervisor and
    every actor load the same ones. The tests' echo and crash actors come this way."""
    from ops.ground.errors import ConfigError
    for name in filter(None, (part.strip() for part in spec.split(","))):
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise ConfigError(f"daemon.plugins: cannot import {name!r}: {type(exc).__name__}: {exc}") from None


def load_actor_class(kind: str) -> type["BusActor"]:
    if kind not in ACTOR_CLASSES:
        raise LookupError(f"unknown actor kind {kind!r} (known: {', '.join(ACTOR_CLASSES)})")
    module_name, _, cls_name = ACTOR_CLASSES[kind].partition(":")
    return getattr(importlib.import_module(module_name), cls_name)


def handles(op: str) -> Callable[[Callable], Callable]:
    """Mark a method `(self, body, env) -> dict | None` as the handler of `op`.

    A handler may instead return a `concurrent.futures.Future` (work handed to a thread pool):
    the ask is answered when it resolves, so one actor can serve several asks at once and
    replies may go out of order. Its exception is answered like a handler's.
    """
    if op not in P.OPS:
        raise ValueError(f"@handles({op!r}): no such op in actors.protocol.OPS (register its entry first)")

    def mark(fn: Callable) -> Callable:
        fn._cogloop_op = op  # type: ignore[attr-defined]
        return fn
    return mark


@dataclass
class ActorContext:
    name: str
    kind: str
    home: Path
    config: Any  # ops.ground.config.Config
    bus: Bus
    # Set (from the pump or signal handler) as soon as a stop is asked for: a long work()
    # round (an LLM call) can check it and give up early instead of being killed.
    stopping: threading.Event = field(default_factory=threading.Event)
    # What the actor class's `prepare` made before the process had a name (a warm spare's
    # start-up, actors/_spare.py); empty for a process started fresh.
    prepared: Prepared = field(default_factory=Prepared)
    # Started while the daemon is paused: no work() until actor.resume (actors/control/pause.py).
    start_paused: bool = False


_WORK = object()  # the mailbox message that runs one round of work()


class BusActor(pykka.ThreadingActor):
    """Base of every cogloop actor: dispatches bus requests to @handles methods, runs work().

    `work()` is called while not paused; it returns the delay before the next call, or
    None when idle (then it is tried again after a heartbeat interval or after any request,
    since a request may bring work). Subclasses may override `on_pause`, `on_resume` and
    pykka's `on_stop` (release leases there: the bus is still up while it runs).
    """

    def __init__(self, ctx: ActorContext):
        super().__init__()
        self.ctx = ctx
        self.bus = ctx.bus
        self.paused = bool(getattr(ctx, "start_paused", False))
        self._handlers: dict[str, Callable] = {}
        for klass in reversed(type(self).__mro__):
            for attr in vars(klass).values():
                op = getattr(attr, "_cogloop_op", None)
                if op:
                    self._handlers[op] = attr
        self._has_work = type(self).work is not BusActor.work
        self._work_due = False
        self._timer: threading.Timer | None = None
        hb = getattr(getattr(ctx.config, "daemon", None), "heartbeat_s", 1.0)
        self._idle_s = float(hb)

    # --- overridable ---------------------------------------------------------------
    @classmethod
    def prepare(cls, config: Any, home: Path) -> dict[str, Any]:
        """The actor's start-up that needs neither its name nor the bus, run by a warm spare
        before it is adopted (actors/_spare.py): open files, start helper processes, import
        and warm clients. The map it returns is `ctx.prepared` in `__init__`. A process started
        fresh does not call it: the actor does that work itself, as it always did."""
        return {}

    def work(self) -> float | None:
        return None

    def on_pause(self) -> None:
        pass

    def on_resume(self) -> None:
        pass

    # --- the supervisor's orders (actor.stop is the pump's: it stops the process) -------
    @handles("actor.pause")
    def _pause(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self.paused = True
        self.on_pause()
        return {}

    @handles("actor.resume")
    def _resume(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self.paused = False
        self.on_resume()
        return {}

    # --- pykka -------------------------------------------------------------------------
    def on_start(self) -> None:
        self._schedule(0.0)

    def on_receive(self, message: Any) -> Any:
        if message is _WORK:
            self._work_due = False
            self._run_work()
        elif isinstance(message, dict) and "kind" in message:
            self._dispatch(message)
            self._schedule(0.0)

    def on_stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    # --- internals ---------------------------------------------------------------------
    def _schedule(self, delay: float) -> None:
        if not self._has_work or self.paused or self._work_due:
            return
        self._work_due = True
        if self._timer is not None:
            self._timer.cancel()
        if delay <= 0:
            self.actor_ref.tell(_WORK)
            return
        self._timer = threading.Timer(delay, self._tell_work)
        self._timer.daemon = True
        self._timer.start()

    def _tell_work(self) -> None:
        try:
            self.actor_ref.tell(_WORK)
        except pykka.ActorDeadError:
            pass

    def _run_work(self) -> None:
        if self.paused:
            return
        try:
            delay = self.work()
        except Exception:
            log.error("work() raised:\n%s", traceback.format_exc())
            delay = self._idle_s  # do not spin on a persistent failure
        self._schedule(self._idle_s if delay is None else max(0.0, float(delay)))

    def _dispatch(self, env: dict[str, Any]) -> None:
        op = env["op"]
        asked = env["kind"] == "ask"
        try:
            handler = self._handlers.get(op)
            if handler is None:
                raise ActorError(P.UNKNOWN_OP, f"{self.ctx.name} does not handle {op!r}")
            result = handler(self, env["body"], env)
        except ActorError as exc:
            if asked:
                self.bus.error(env, exc.code, exc.message)
            return
        except Exception as exc:
            log.error("handler for %s raised:\n%s", op, traceback.format_exc())
            if asked:
                self.bus.error(env, P.INTERNAL, f"{type(exc).__name__}: {exc}")
            return
        if isinstance(result, Future):  # answered later, from whichever thread resolves it
            result.add_done_callback(lambda fut: self._answer(env, op, fut) if asked else None)
        elif asked:
            self._reply(env, result)

    def _answer(self, env: dict[str, Any], op: str, fut: Future) -> None:
        """Reply to an ask whose handler returned a Future (Bus.reply is thread-safe)."""
        exc = fut.exception()
        if exc is None:
            self._reply(env, fut.result())
        elif isinstance(exc, ActorError):
            self.bus.error(env, exc.code, exc.message)
        else:
            log.error("handler for %s raised:\n%s", op,
                      "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            self.bus.error(env, P.INTERNAL, f"{type(exc).__name__}: {exc}")

    def _reply(self, env: dict[str, Any], result: Any) -> None:
        try:
            self.bus.reply(env, result if isinstance(result, dict) else {"result": result})
        except P.ProtocolError as exc:  # e.g. the reply is larger than the limit
            self.bus.error(env, P.INTERNAL, exc.message)


# --- the process ---------------------------------------------------------------------------

def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m actors.runtime", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", help="actor name (required unless --spare)")
    p.add_argument("--kind", required=True)
    p.add_argument("--home", required=True)
    p.add_argument("--config")
    p.add_argument("--connect", help="bus endpoint (default: ipc://HOME/run/bus.sock)")
    p.add_argument("--parent-pid", type=int, help="die with this process (set by the supervisor)")
    p.add_argument("--keys", help="CURVE key folder for a tcp bus (client.key_secret, server.key)")
    p.add_argument("--paused", action="store_true",
                   help="start paused: no work() until the supervisor says actor.resume (the daemon is paused)")
    p.add_argument("--spare", action="store_true",
                   help="warm spare: import everything and do the actor's start-up (its `prepare`), "
                        "while reading the name from stdin; then log to HOME/logs/NAME.log (the "
                        "supervisor's fast restart)")
    args = p.parse_args(argv)
    if not args.name and not args.spare:
        p.error("--name is required")
    return args


def load_curve_client(keys_dir: Path) -> CurveKeys:
    """Our key pair and the server's public key from a folder made by `zmq.auth`."""
    import zmq.auth
    secret_file, server_file = keys_dir / "client.key_secret", keys_dir / "server.key"
    for f in (secret_file, server_file):
        if not f.exists():
            raise FileNotFoundError(f"tcp bus needs CURVE keys: {f} is missing")
    public, secret = zmq.auth.load_certificate(str(secret_file))
    server_public, _ = zmq.auth.load_certificate(str(server_file))
    if secret is None:
        raise ValueError(f"{secret_file} holds no secret key")
    return CurveKeys(public, secret, server_public)


def _fail(message: str, status: int) -> int:
    print(f"cogloop actor: {message}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.parent_pid:
        set_pdeathsig(signal.SIGKILL, args.parent_pid)
    from ops.ground.config import load_config
    from ops.ground.errors import CogloopError
    home = Path(args.home).expanduser().absolute()
    try:
        cfg = load_config(home, args.config)
        load_plugins(cfg.daemon.plugins)
    except CogloopError as exc:
        return _fail(str(exc), 2)
    prepared = Prepared()
    if args.spare:
        # Interpreter, imports and config are done; the actor's own start-up goes on in a
        # thread (actors/_spare.py) while we wait to be given a name.
        try:
            prepared = prepare_ahead(load_actor_class(args.kind), args.kind, cfg, home)
        except Exception:
            pass  # reported below, under the actor's name
        line = sys.stdin.readline().split()  # NAME [paused]
        args.name = line[0] if line else ""
        args.paused = line[1:] == ["paused"]
        if not args.name:  # dismissed: what prepare started (a fork server) ends with us
            atexit._run_exitfuncs()
            os._exit(0)
        log_fd = os.open(home / "logs" / f"{args.name}.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {args.name}[%(process)d] %(levelname)s %(message)s")
    if args.name in P.RESERVED_NAMES or not args.name or len(args.name) > P.MAX_NAME_LEN:
        return _fail(f"actor name {args.name!r} is reserved or too long", 2)
    endpoint = args.connect or f"ipc://{home / 'run' / 'bus.sock'}"
    curve = None
    if endpoint.startswith("tcp://"):
        if not args.keys:
            return _fail("a tcp bus needs CURVE keys: pass --keys DIR (client.key_secret, server.key); "
                         "plain tcp is refused", 2)
        try:
            curve = load_curve_client(Path(args.keys))
        except (OSError, ValueError) as exc:
            return _fail(str(exc), 2)
    try:
        cls = load_actor_class(args.kind)
    except Exception as exc:  # ImportError, LookupError, an error at import time
        return _fail(f"cannot load actor kind {args.kind!r}: {type(exc).__name__}: {exc}", 1)

    d = cfg.daemon
    pump = Pump(args.name, args.kind, endpoint, heartbeat_s=d.heartbeat_s,
                missed_heartbeats=d.missed_heartbeats, max_msg_bytes=d.max_msg_bytes, curve=curve)
    stop = threading.Event()
    reason: list[str] = []

    ctx = ActorContext(args.name, args.kind, home, cfg, Bus(pump), prepared=prepared, start_paused=args.paused)

    def request_stop(why: str) -> None:
        reason.append(why)
        ctx.stopping.set()
        stop.set()
    pump.on_stop_request = request_stop
    # Two busy threads share the GIL: a short switch interval lets the pump hand a frame on
    # without waiting out the actor's 5 ms slice.
    sys.setswitchinterval(0.0005)
    signal.signal(signal.SIGTERM, lambda *_: request_stop("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: request_stop("SIGINT"))
    pump.start()
    try:
        ref = cls.start(ctx)
    except Exception as exc:
        pump.stop()
        return _fail(f"{args.kind} actor failed to start: {type(exc).__name__}: {exc}", 1)
    pump.set_target(ref.tell)
    log.info("%s (%s) up on %s", args.name, args.kind, endpoint)
    while not stop.wait(0.5):
        if not ref.is_alive():
            request_stop("actor died")
    log.info("stopping: %s", reason[0] if reason else "?")
    stuck = False
    try:
        ref.stop(block=True, timeout=d.stop_grace_s)
    except pykka.Timeout:
        log.warning("actor did not stop within %.1fs; exiting without it", d.stop_grace_s)
        stuck = True
    log.info("actor stopped%s", " (abandoned)" if stuck else "")
    pump.stop()
    pump.join(2.0)
    status = 0 if reason and reason[0] in ("actor.stop", "SIGTERM", "SIGINT") else 1
    if pump.refused:  # said in one line by the pump; a configuration error, not a crash
        status = 2
    # The actor is stopped and has closed what it owns (on_stop). Skip the interpreter's
    # teardown: with openai/pydantic loaded it takes ~1 s on a busy box, and a thread left
    # in an abandoned LLM call need not be waited for. Exit handlers (the sandbox's) still run.
    logging.shutdown()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    # Run the module proper, not this __main__ copy of it: plugins register their kinds there.
    from actors import runtime
    sys.exit(runtime.main())
