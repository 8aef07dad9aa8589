"""Tiny built-in actors for testing the runtime and supervisor with real processes.

`echo` answers asks, relays asks to another actor (actor-to-actor through the bus), counts
its work() calls (pause/resume), and can freeze its own process (a hang) or raise in a
handler (an internal error reply). `crash` dies at start while HOME/NAME.crash exists,
for the intensity limit and `cogloop restart`.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from actors._bus import RemoteError
from actors.runtime import ActorContext, BusActor, handles


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
