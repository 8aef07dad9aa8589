"""Is an endpoint there, and which model would a call use? One `GET /v1/models` through the
one HTTP path (`_http.py`: the `openai` client, the configured key), then the model choice of
`_models.py`. For the supervisor's prober (status, assignment), the embedded server's
readiness and `cogloop doctor`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

from actors.llm._errors import LLMError
from actors.llm._http import list_models
from actors.llm._models import choose_model


@dataclass
class Probe:
    """One look at an endpoint. `state`: "ok", "down: <reason>" (nothing usable answered) or
    "waiting: <why>" (it answered, but has no model a call could use)."""

    state: str
    model: str = ""  # what a call would ask for; "" when none
    models: list[str] = field(default_factory=list)  # the ids listed
    kind: str = ""  # the error kind when not ok (connection, timeout, auth, model_not_found, not_chat ...)
    latency_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def probe_endpoint(url: str, api_key: str = "", timeout: float = 2.0, wanted: str = "",
                   refused: Iterable[str] = ()) -> Probe:
    """List the models at `url` with the key, and choose the one to use (`wanted`, or the first
    chat model not `refused`)."""
    t0 = time.monotonic()
    try:
        listed = list_models(url, api_key, timeout)
    except LLMError as exc:
        took = time.monotonic() - t0
        if exc.status == 404 and wanted:  # a server without /models: the named model on trust
            return Probe("ok", wanted, [], "", took)
        return Probe(f"down: {exc}", "", [], exc.kind, took)
    took = time.monotonic() - t0
    ids = [str(m["id"]) for m in listed]
    try:
        return Probe("ok", choose_model(listed, wanted, refused), ids, "", took)
    except LLMError as exc:
        return Probe(f"waiting: {exc}", "", ids, exc.kind, took)


def probe_models(url: str, timeout: float = 2.0, api_key: str = "") -> tuple[str, list[str]]:
    """(state, model ids) from one `GET /v1/models`: ("ok", [ids]) or ("down: <reason>", [])."""
    p = probe_endpoint(url, api_key, timeout)
    return ("ok", p.models) if p.models else (p.state if not p.ok else "down: no models listed", [])


def probe(url: str, timeout: float = 2.0, api_key: str = "") -> tuple[str, str]:
    """(state, model) from one `GET /v1/models`: ("ok", "the chat model") or ("down: ...", "")."""
    p = probe_endpoint(url, api_key, timeout)
    return p.state, p.model
