"""The supervisor's endpoint table without processes: least-busy-first assignment over several
servers, max_concurrency, a breaker per endpoint (a broken one skipped, its trial chat off the
task path), model problems and refused keys that hold builders, lost tickets, reloads, the
status rows and their events."""

from __future__ import annotations

import pytest

from actors.llm import Probe
from actors.supervision.endpoints import EndpointTable, endpoint_specs
from actors.supervision.llmstate import state_kind
from ops.ground.config import Config, LLMConfig

pytestmark = pytest.mark.unit

A, B = "http://a:1/v1", "http://b:2/v1"


def table(*urls: str, now: list[float], **spec: object) -> EndpointTable:
    t = EndpointTable(clock=lambda: now[0], wall=lambda: 0.0)
    t.configure([{"url": u, "model": "", "api_key": "k", "max_concurrency": 0, **spec} for u in urls],
                LLMConfig(breaker_failures=2, breaker_reset_s=10.0, timeout_s=60.0))
    for job in t.jobs(now[0]):  # every endpoint lists its model
        t.apply(job, Probe("ok", "m", ["m"], "", 0.01), now[0])
    return t


def take(t: EndpointTable, who: str, now: float) -> tuple[str, str]:
    r = t.assign(who, now)
    return r["endpoint"]["url"], r["ticket"]


def test_least_busy_first_over_two_endpoints() -> None:
    now = [0.0]
    t = table(A, B, now=now)
    got = [take(t, f"builder-{i}", 0.0) for i in range(4)]
    assert [u for u, _ in got] == [A, B, A, B]  # spread evenly
    t.done(got[1][1], True, "", "", 1.0)  # B's first call is over: B is least busy now
    assert take(t, "builder-9", 1.0)[0] == B
    rows = {r["url"]: r for r in t.rows(1.0, {})}
    assert (rows[A]["in_flight"], rows[B]["in_flight"], rows[B]["calls"]) == (2, 2, 1)
    r = t.assign("builder-1", 1.0)
    assert r["endpoint"] == {"url": A, "model": "m", "api_key": "k"} and r["ticket"]


def test_max_concurrency_makes_builders_wait_a_little() -> None:
    now = [0.0]
    t = table(A, now=now, max_concurrency=1)
    _, ticket = take(t, "builder-1", 0.0)
    r = t.assign("builder-2", 0.0)
    assert r["endpoint"] is None and r["wait_s"] == 0.2 and "max_concurrency" in r["reason"]
    t.done(ticket, True, "", "", 0.5)
    assert take(t, "builder-2", 0.5)[0] == A


def test_a_broken_endpoint_is_skipped_and_tried_again_off_the_task_path() -> None:
    now = [0.0]
    t = table(A, B, now=now)
    for _ in range(2):  # two errors in a row open A's breaker
        t.done(take_at(t, A), False, "server", "HTTP 500: oom", 0.0)
    assert {take(t, "builder-1", 0.0)[0] for _ in range(3)} == {B}
    rows = {r["url"]: r for r in t.rows(0.0, {})}
    assert rows[A]["state"].startswith("breaker open until ") and rows[A]["state"].endswith("HTTP 500: oom")
    assert rows[A]["errors"] == 2
    now[0] = 11.0  # the reset passed: a one-token trial chat, not a task
    jobs = [j for j in t.jobs(11.0) if j["url"] == A]
    assert jobs and jobs[0]["job"] == "trial" and jobs[0]["model"] == "m"
    assert not [j for j in t.jobs(11.0) if j["url"] == A]  # one trial at a time
    t.apply(jobs[0], "HTTP 500: oom", 11.5)  # failed: another full wait
    assert A not in {take(t, "b", 12.0)[0] for _ in range(3)}
    now[0] = 22.0
    trial = next(j for j in t.jobs(22.0) if j["url"] == A)
    t.apply(trial, None, 22.1)  # it answered: closed
    assert A in {take(t, "b", 22.2)[0] for _ in range(4)}


def take_at(t: EndpointTable, url: str) -> str:
    """A ticket on `url` (other endpoints' tickets are handed back)."""
    while True:
        r = t.assign("builder-x", 0.0)
        if r["endpoint"]["url"] == url:
            return r["ticket"]
        t.done(r["ticket"], True, "", "", 0.0)


def test_every_endpoint_down_gives_the_reason_and_the_wait() -> None:
    now = [0.0]
    t = table(A, now=now)
    for _ in range(2):
        t.done(take(t, "builder-1", 0.0)[1], False, "connection", "connection failed: refused", 0.0)
    now[0] = 3.0
    r = t.assign("builder-1", 3.0)
    assert r["endpoint"] is None and r["wait_s"] == pytest.approx(7.0) and \
        r["reason"].startswith("breaker open until ") and r["reason"].endswith(": connection failed: refused")


def test_a_refused_key_or_an_unknown_model_holds_every_builder() -> None:
    now = [0.0]
    t = EndpointTable(clock=lambda: now[0])
    t.configure([{"url": A, "model": "llama9", "api_key": "bad"}])
    job = t.jobs(0.0)[0]
    assert job["job"] == "probe" and job["wanted"] == "llama9" and job["timeout_s"] == 15.0
    t.apply(job, Probe("down: HTTP 401: Incorrect API key provided", kind="auth"), 0.1)
    r = t.assign("builder-1", 0.2)
    assert r["endpoint"] is None and r["reason"] == "down: HTTP 401: Incorrect API key provided"
    assert t.rows(0.2, {})[0]["state"] == "down: HTTP 401: Incorrect API key provided"
    t.apply(t.jobs(5.0)[0], Probe("waiting: the server does not list model 'llama9' (it lists qwen)",
                                  kind="model_not_found"), 5.0)
    assert t.assign("builder-1", 5.0)["reason"] == "waiting: the server does not list model 'llama9' (it lists qwen)"
    assert t.rows(5.0, {})[0]["state"] == "waiting: the server does not list model 'llama9' (it lists qwen)"


def test_a_model_that_cannot_chat() -> None:
    now = [0.0]
    t = table(A, now=now)
    t.done(take(t, "builder-1", 0.0)[1], False, "not_chat", "HTTP 400: 'm' is not a chat model", 0.0)
    job = t.jobs(0.0)[0]  # auto-detected: listed again, that model refused
    assert job["job"] == "probe" and job["refused"] == ["m"]
    t.apply(job, Probe("ok", "chat-model", ["m", "chat-model"]), 0.1)
    assert t.assign("b", 0.2)["endpoint"]["model"] == "chat-model"
    named = table(B, now=now, model="m")  # named by the operator: held, tried again by trial chats
    named.done(take(named, "builder-1", 0.0)[1], False, "not_chat", "HTTP 400: 'm' is not a chat model", 0.0)
    assert named.assign("b", 1.0)["endpoint"] is None
    assert named.rows(1.0, {})[0]["state"].endswith("HTTP 400: 'm' is not a chat model")


def test_lost_tickets_are_forgotten_and_context_errors_do_not_trip() -> None:
    now = [0.0]
    t = table(A, now=now)
    take(t, "builder-1", 0.0), take(t, "builder-2", 0.0)
    t.forget("builder-1")  # it exited: its request will never be reported
    assert t.rows(0.0, {})[0]["in_flight"] == 1
    t.expire(60.0 + 31.0)  # llm.timeout_s and the slack passed
    assert t.rows(91.0, {})[0]["in_flight"] == 0
    for _ in range(5):
        t.done(take(t, "b", 100.0)[1], False, "context_length", "HTTP 400: context", 100.0)
    assert t.assign("b", 100.0)["endpoint"] is not None  # the task's fault, not the endpoint's
    t.done("nonsense", True, "", "", 100.0)  # an unknown ticket changes nothing


def test_reload_keeps_the_counts_of_the_same_url_and_drops_the_removed() -> None:
    now = [0.0]
    t = table(A, B, now=now)
    ta = take_at(t, A)
    t.done(ta, True, "", "", 0.0)
    _, tb = take(t, "builder-1", 0.0)
    t.configure([{"url": A, "model": "", "api_key": "k"}])
    assert [(r["url"], r["calls"]) for r in t.rows(0.0, {})] == [(A, 1)]
    t.done(tb, False, "server", "x", 0.0)  # B's ticket: gone with B, nothing counted
    assert t.rows(0.0, {})[0]["errors"] == 0


def test_status_keeps_the_first_endpoint_for_old_scripts_and_events_on_kind_changes() -> None:
    now = [0.0]
    t = table(A, B, now=now)
    st = t.status(0.0, {})
    assert (st["url"], st["model"], st["state"]) == (A, "m", "ok") and [e["url"] for e in st["endpoints"]] == [A, B]
    assert set(st["endpoints"][0]) >= {"url", "model", "state", "in_flight", "calls", "errors"}
    assert [c["url"] for c in t.changes(st["endpoints"], state_kind)] == [A, B]
    assert t.changes(t.status(0.0, {})["endpoints"], state_kind) == []
    for _ in range(2):
        t.done(take_at(t, B), False, "server", "HTTP 502: bad gateway", 0.0)
    changed = t.changes(t.status(0.0, {})["endpoints"], state_kind)
    assert [(c["url"], c["was"]) for c in changed] == [(B, "ok")] and changed[0]["state"].startswith("breaker open")
    assert EndpointTable().status(0.0, {}, "embedded model unavailable: x")["state"] == \
        "down: embedded model unavailable: x"


def test_endpoint_specs_from_the_configuration_or_the_embedded_children() -> None:
    cfg = Config()
    cfg.llm.url, cfg.llm.model, cfg.llm.api_key = f"{A},{B}", "coder", "sk"
    cfg.llm.endpoints = [{"url": "http://c:3/v1", "model": "other", "max_concurrency": 4}]
    assert [(e["url"], e["model"], e["api_key"], e["max_concurrency"]) for e in endpoint_specs(cfg, [])] == \
        [(A, "coder", "sk", 0), (B, "coder", "sk", 0), ("http://c:3/v1", "other", "sk", 4)]

    class Spec:
        def __init__(self, name: str, url: str) -> None:
            self.name, self.kind, self.url = name, "llm", url
    embedded = Config()
    assert [(e["url"], e["child"]) for e in endpoint_specs(embedded, [Spec("llm-1", A), Spec("llm-2", B)])] == \
        [(A, "llm-1"), (B, "llm-2")]
