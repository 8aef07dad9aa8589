"""Which children the supervisor runs: their specs, from the configuration.

A child is either a runtime actor (`python -m actors.runtime`, heartbeats over the bus) or an
external program (the embedded llama.cpp server) with a readiness check and no heartbeats;
both are started through the same code (launch.py). A remote actor (joined over a tcp bus) gets
a spec when it joins (roster.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from actors.llm import embedded_server
from actors.runtime import ACTOR_CLASSES


@dataclass
class ChildSpec:
    name: str
    kind: str
    argv: list[str] | None = None  # external programs only; actors are spawned by name/kind
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[], bool] | None = None  # external programs: polled until True
    url: str = ""  # the llm child's OpenAI base URL, for status and the actors' config

    @property
    def external(self) -> bool:
        return self.argv is not None


def parse_children(text: str) -> list[tuple[str, str]]:
    """`"echo-1:echo, crash-1:crash"` -> [(name, kind), ...]; ValueError names the bad item."""
    out = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, kind = item.partition(":")
        if not sep or not name or not kind:
            raise ValueError(f"daemon.children: expected name:kind, got {item!r}")
        if kind not in ACTOR_CLASSES and kind != "llm":
            raise ValueError(f"daemon.children: unknown kind {kind!r} in {item!r}")
        out.append((name.strip(), kind.strip()))
    return out


def llm_spec(cfg: Any, home: Any, name: str = "llm", first: bool = True) -> tuple[ChildSpec | None, str]:
    """An embedded model server's spec from `actors.llm.embedded_server(cfg, home)`: `argv`,
    `env` (extra variables), `url` (the OpenAI base URL it will serve) and `ready` (a
    no-argument health check). With no model installed the daemon runs without an llm child
    and says why.
    """
    try:
        made = embedded_server(cfg, home, first=first)
    except Exception as exc:
        return None, f"embedded model unavailable: {type(exc).__name__}: {exc}"
    return ChildSpec(name, "llm", argv=list(made["argv"]), env=dict(made.get("env") or {}),
                     ready=made.get("ready"), url=str(made.get("url", ""))), ""


def child_specs(cfg: Any, home: Any) -> tuple[list[ChildSpec], list[str]]:
    """The children in start order, and notes about the ones left out."""
    notes: list[str] = []
    if cfg.daemon.children.strip():
        pairs = parse_children(cfg.daemon.children)
    else:
        pairs = [("memory", "memory"), ("scorer", "scorer"), ("trainer", "trainer")]
        pairs += [(f"builder-{i}", "builder") for i in range(1, cfg.daemon.builders + 1)]
        if cfg.uses_embedded_model:  # `llm`, or llm-1 .. llm-N for embedded.servers = N
            n = cfg.embedded.servers
            pairs[:0] = [("llm", "llm")] if n == 1 else [(f"llm-{i}", "llm") for i in range(1, n + 1)]
    specs = []
    for name, kind in pairs:
        if kind == "llm":
            spec, note = llm_spec(cfg, home, name, first=not any(s.kind == "llm" for s in specs))
            if spec is None:
                if note not in notes:
                    notes.append(note)
            else:
                specs.append(spec)
        else:
            specs.append(ChildSpec(name, kind))
    return specs, notes
