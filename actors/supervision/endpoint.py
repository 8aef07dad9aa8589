"""The LLM endpoint as the supervisor sees it: the URL every actor is given, what `status` says
about it, and an `llm.state` event when the kind of its state changes. Pure: the sampler's last
probe and the `llm` child's state are passed in (llmstate.py says what they mean together).

The reload path re-configures it (`configure`). One endpoint today; the place for several.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from actors.supervision.children import ChildSpec
from actors.supervision.llmstate import llm_state

CHECK_S = 0.5  # how often the state is looked at for an llm.state event


def llm_kind(state: str) -> str | None:
    """The part of `status`'s llm state that an event records a change of (ok, down, waiting,
    starting), or None before the first probe (nothing is known yet)."""
    if state.startswith("waiting: not probed"):
        return None
    return state.partition(":")[0].strip() or None


class Endpoint:
    def __init__(self) -> None:
        self.url = ""
        self.model = ""  # the configured model ("" = whatever the server lists first)
        self.note = ""  # why there is no embedded model, when there is none
        self._seen: str | None = None  # the kind of state last reported
        self._next_check = 0.0

    def configure(self, cfg: Any, specs: Sequence[ChildSpec], notes: Sequence[str]) -> None:
        """From a (re)loaded configuration: the embedded server child's URL, else `llm.url`."""
        child = next((s for s in specs if s.kind == "llm" and s.url), None)
        self.url = child.url if child is not None else cfg.llm.url
        self.model = cfg.llm.model
        self.note = next((n for n in notes if "embedded model" in n), "")

    def status(self, child_state: str | None, probed: tuple[str, tuple[str, list[str]]] | None) -> dict[str, Any]:
        """{"url", "model", "state"}; `probed` is the sampler's (url, (state, models)), ignored
        when it is about another URL; `child_state` the local `llm` child's, if there is one."""
        result = probed[1] if probed is not None and probed[0] == self.url else None
        model = self.model or (result[1][0] if result and result[1] else "")
        return {"url": self.url, "model": model,
                "state": llm_state(self.url, child_state, result, self.model, self.note)}

    def change(self, now: float, status: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """The body of an `llm.state` event when the state's kind changed since the last one,
        else None; `status()` (what `status` would say) is asked every CHECK_S at most."""
        if now < self._next_check:
            return None
        self._next_check = now + CHECK_S
        current = status()
        kind = llm_kind(current["state"])
        if kind is None or kind == self._seen:
            return None
        was, self._seen = self._seen, kind
        return {"url": current["url"], "state": current["state"], "was": was or ""}
