"""The tests' actors, loaded as a plugin (daemon.plugins = "tests.testkinds"; tests/conftest.py
sets it for every process a test starts): they do not ship in the daemon.

`echo` answers asks, relays asks to another actor (actor-to-actor through the bus), asks any
op as itself (`echo.ask`: what the router says to a sender an op is not for), counts its work()
calls (pause/resume), and can freeze its own process (a hang) or raise in a handler (an
internal error reply). `crash` dies at start while HOME/NAME.crash exists, for the intensity
limit and `cogloop restart`.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from actors import protocol as P
from actors.protocol import Op
from actors.runtime import ACTOR_CLASSES, ActorContext, BusActor, RemoteError, handles

TO = "echo|crash"
P.register(
    Op("echo", TO, "*", {}, {"echo": "map", "pid": "int", "name": "str"},
       "", "answer the body back with the actor's name and pid; extra fields allowed"),
    Op("echo.relay", TO, "*", {"to": "str", "count": "int", "timeout?": "float"},
       {"replies": "list", "errors": "list"}, "",
       "ask `to` the echo op `count` times through the bus; tests backlog and actor-to-actor ask"),
    Op("echo.ask", TO, "*", {"to": "str", "op": "str", "body": "map"}, {"reply?": "any", "error?": "map"},
       "", "ask `to` the op `op` as this actor: its reply, or the error {code, message}"),
    Op("echo.stats", TO, "*", {}, {"work_calls": "int", "paused": "bool", "handled": "int"}),
    Op("echo.freeze", TO, "*", {}, {}, "", "SIGSTOP the whole process: a hang for tests"),
    Op("echo.boom", TO, "*", {}, {}, "", "raise inside the handler: an internal error reply"),
    Op("echo.flood", TO, "*", {"to": "str", "count": "int"}, {"sent": "int"},
       "", "tell `to` echo.tick `count` times as fast as possible (bench/runtime.py)"),
    Op("echo.tick", TO, "*", {}, {}, "", "counted in echo.stats `handled`; a tell"),
    Op("echo.sleep", TO, "*", {"seconds": "float", "honour_stop?": "bool"}, {"slept": "float"},
       "", "block the actor's thread (a slow LLM call); with honour_stop, give up on ctx.stopping"),
)
ACTOR_CLASSES.update(echo="tests.testkinds:EchoActor", crash="tests.testkinds:CrashActor")


class EchoActor(BusActor):
    def __init__(self, ctx: ActorContext):
        super().__init__(ctx)
        self.work_calls = 0
        self.handled = 0

    def work(self) -> float | None:
        self.work_calls += 1
        return 0.05

    @handles("echo")
    def echo(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        self.handled += 1
        return {"echo": body, "pid": os.getpid(), "name": self.ctx.name, "from": env["from"]}

    @handles("echo.relay")
    def relay(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        replies, errors = [], []
        for i in range(body["count"]):
            try:
                replies.append(self.bus.ask(body["to"], "echo", {"i": i}, timeout=body.get("timeout") or 10.0))
            except RemoteError as exc:
                errors.append(f"{exc.code}: {exc.message}")
        return {"replies": replies, "errors": errors}

    @handles("echo.ask")
    def ask(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"reply": self.bus.ask(body["to"], body["op"], body["body"], timeout=10.0)}
        except RemoteError as exc:
            return {"error": {"code": exc.code, "message": exc.message}}

    @handles("echo.flood")
    def flood(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        for _ in range(body["count"]):
            self.bus.tell(body["to"], "echo.tick", {})
        return {"sent": body["count"]}

    @handles("echo.tick")
    def tick(self, body: dict[str, Any], env: dict[str, Any]) -> None:
        self.handled += 1

    @handles("echo.sleep")
    def sleep(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        if body.get("honour_stop"):
            self.ctx.stopping.wait(body["seconds"])
        else:
            time.sleep(body["seconds"])
        return {"slept": time.monotonic() - started}

    @handles("echo.stats")
    def stats(self, body: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
        return {"work_calls": self.work_calls, "paused": self.paused, "handled": self.handled}

    @handles("echo.freeze")
    def freeze(self, body: dict[str, Any], env: dict[str, Any]) -> None:
        os.kill(os.getpid(), signal.SIGSTOP)

    @handles("echo.boom")
    def boom(self, body: dict[str, Any], env: dict[str, Any]) -> None:
        raise RuntimeError("boom, as asked")


class CrashActor(EchoActor):
    """An echo actor that dies at start while the file HOME/NAME.crash exists."""

    def __init__(self, ctx: ActorContext):
        if (ctx.home / f"{ctx.name}.crash").exists():
            raise SystemExit(f"{ctx.name}: crashing at start, as {ctx.home / (ctx.name + '.crash')} says")
        super().__init__(ctx)
