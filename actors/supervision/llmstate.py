"""What `status` says about the LLM: one pure function over what the supervisor knows (the
embedded server child's state, if any) and the sampler thread's last `GET /v1/models` probe.

States: "ok", "starting" (the embedded server is loading), "waiting: <why>" (not known yet, or
the server does not list the configured model), "down: <reason>".
"""

from __future__ import annotations

from typing import Sequence

CHILD_DOWN = {
    "backoff": "down: the embedded model server exited; restarting",
    "fatal": "down: the embedded model server keeps crashing (restart limit); 'cogloop restart llm' retries",
    "stopped": "down: the embedded model server is stopped",
}


def llm_state(url: str | None, child_state: str | None, probed: tuple[str, Sequence[str]] | None,
              model: str = "", note: str = "") -> str:
    """`child_state` is the `llm` child's state (None: an external endpoint or none at all);
    `probed` is (state, models listed) from the last probe of `url`, None before the first."""
    if child_state is not None:
        if child_state == "starting":
            return "starting"
        if child_state in CHILD_DOWN:
            return CHILD_DOWN[child_state]
    if not url:
        return f"down: {note or 'no LLM URL configured and no embedded model'}"
    if probed is None:
        return "waiting: not probed yet"
    state, models = probed
    if state == "ok" and model and models and model not in models:
        return f"waiting: the server does not list model {model!r} (it lists {', '.join(models[:3])})"
    return state


BUSY_GRACE_S = 30.0


def busy_tolerant(result: tuple[str, list[str]], last_ok: tuple[float, list[str]] | None, now: float,
                  grace_s: float = BUSY_GRACE_S) -> tuple[str, list[str]]:
    """A probe that timed out within `grace_s` of a good one still counts as good: a local server
    busy generating (llama.cpp on two cores) can leave `GET /v1/models` unanswered for seconds,
    and it is not down. Refused connections and errors count at once."""
    if result[0] != "ok" and "timed out" in result[0] and last_ok is not None and now - last_ok[0] < grace_s:
        return "ok", last_ok[1]
    return result
