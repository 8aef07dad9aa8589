"""A handler that returns a Future is answered when the Future resolves, from that thread:
replies can go out of order, errors keep their codes. (In-process: the dispatch logic only;
test_runtime_actor.py covers the real process and socket.)"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from actors import protocol as P
from actors.runtime import ActorContext, ActorError, BusActor, handles

pytestmark = pytest.mark.unit


class RecordingBus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []  # (kind, re, body)
        self.got = threading.Condition()

    def reply(self, request: dict, body: dict) -> None:
        with self.got:
            self.sent.append(("reply", request["id"], body))
            self.got.notify_all()

    def error(self, request: dict, code: str, message: str) -> None:
        with self.got:
            self.sent.append(("error", request["id"], {"code": code, "message": message}))
            self.got.notify_all()

    def wait_for(self, n: int) -> list[tuple[str, str, dict]]:
        with self.got:
            assert self.got.wait_for(lambda: len(self.sent) >= n, timeout=10), self.sent
            return list(self.sent)


class Deferring(BusActor):
    def __init__(self, ctx: ActorContext):
        super().__init__(ctx)
        self.futures: dict[str, Future] = {}

    @handles("echo")
    def echo(self, body: dict, env: dict) -> Future:
        fut: Future = Future()
        self.futures[body["key"]] = fut
        return fut


def make() -> tuple[Deferring, RecordingBus]:
    bus = RecordingBus()
    return Deferring(ActorContext("d-1", "echo", Path("."), None, bus)), bus  # type: ignore[arg-type]


def ask(key: str) -> dict:
    return P.envelope("ask", "cli", "d-1", "echo", {"key": key})


def test_replies_go_out_when_each_future_resolves_in_any_order():
    actor, bus = make()
    first, second = ask("a"), ask("b")
    actor._dispatch(first)
    actor._dispatch(second)
    assert bus.sent == []  # nothing answered while the work is pending
    with ThreadPoolExecutor(1) as pool:  # resolved from another thread, as a grader would
        pool.submit(actor.futures["b"].set_result, {"v": 2}).result()
    assert bus.wait_for(1) == [("reply", second["id"], {"v": 2})]
    actor.futures["a"].set_result({"v": 1})
    assert bus.wait_for(2)[1] == ("reply", first["id"], {"v": 1})


def test_a_failed_future_is_an_error_reply_with_its_code():
    actor, bus = make()
    refused, crashed = ask("a"), ask("b")
    actor._dispatch(refused)
    actor._dispatch(crashed)
    actor.futures["a"].set_exception(ActorError(P.BAD_REQUEST, "no such task"))
    actor.futures["b"].set_exception(ZeroDivisionError("division by zero"))
    sent = bus.wait_for(2)
    assert sent[0] == ("error", refused["id"], {"code": P.BAD_REQUEST, "message": "no such task"})
    assert sent[1][0] == "error" and sent[1][2]["code"] == P.INTERNAL
    assert "ZeroDivisionError" in sent[1][2]["message"]


def test_a_tell_with_a_future_sends_nothing():
    actor, bus = make()
    actor._dispatch(P.envelope("tell", "cli", "d-1", "echo", {"key": "t"}))
    actor.futures["t"].set_result({"v": 1})
    assert bus.sent == []
