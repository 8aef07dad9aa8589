"""`llm.assign`, `llm.done`: the LLM endpoints, served to the actors that call a model.

    message  {"kind": "ask", "from": "builder-1", "to": "supervisor", "op": "llm.assign", "body": {}}
    reply    {"endpoint": {"url", "model", "api_key"}, "ticket": "1f"}   the least busy that can take it
             {"endpoint": null, "wait_s": 2.0, "reason": "down: HTTP 401: ..."}   none can: wait, and why
             with {"check": true}: the same without a ticket (is one free? the builder's gate before a lease)
    message  {"kind": "tell", "from": "builder-1", "to": "supervisor", "op": "llm.done",
              "body": {"ticket": "1f", "ok": false, "kind": "server", "error": "HTTP 500: ...", "latency_s": 0.4}}
    CLI      none: builders and the trainer send them (actors/llm/_source.py, BusSource)

Builders are separate processes, so one place owns the counts: the supervisor's endpoint table
(actors/supervision/endpoints.py) assigns each request and hears its outcome, which is what
`status` shows and what opens an endpoint's breaker. The keys go over the bus: ipc in the 0700
run dir, or tcp with CURVE for remote builders (which must reach the endpoints' URLs).

`tick` is the endpoints' timer, run by the supervisor's housekeeping.
"""

from __future__ import annotations

import time
from typing import Any

from actors.protocol import OPS as ENTRIES
from actors.supervision.llmstate import state_kind

OPS = (ENTRIES["llm.assign"], ENTRIES["llm.done"])  # entries in actors/protocol/_table.py: actors send them
CHECK_S = 0.5  # the endpoints' states are looked at for events this often


def handle(sup: Any, req: Any) -> dict[str, Any] | None:
    body, now = req.body, time.monotonic()
    sup.changed()
    if req.env["op"] == "llm.done":
        sup.endpoints.done(body["ticket"], body["ok"], body.get("kind") or "", body.get("error") or "", now)
        return {}
    return sup.endpoints.assign(req.env["from"], now, bool(body.get("check")))


def tick(sup: Any, now: float) -> None:
    """The prober's results in, due listings and trial chats out; twice a second, lost tickets
    dropped and an `llm.state` event for each endpoint whose state changed kind; the authorised
    CURVE keys read again when they changed (a remote builder needs no restart)."""
    table = sup.endpoints
    for job, result in sup.prober.results():
        table.apply(job, result, now)
        sup.changed()
    for job in table.jobs(now):
        sup.prober.submit(job)
    if now < table.next_check:
        return
    table.next_check = now + CHECK_S
    table.expire(now)
    for change in table.changes(sup.llm_status()["endpoints"], state_kind):
        sup.publish("llm.state", change)
    sup.sockets.keys_changed()
