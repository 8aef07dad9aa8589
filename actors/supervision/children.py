"""Which children the supervisor runs, and the state it keeps about each.

A child is either a runtime actor (`python -m actors.runtime`, heartbeats over the bus) or an
external program (the embedded llama.cpp server) with a readiness check and no heartbeats;
both are spawned through the same code. Remote actors (joined over a tcp bus) appear as
children without a process.
"""

from __future__ import annotations

import collections
import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from actors.llm import embedded_server
from actors.runtime import ACTOR_CLASSES
from actors.supervision.policy import RestartPolicy, RestartTracker

log = logging.getLogger("cogloop.supervisor")


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


@dataclass
class Child:
    spec: ChildSpec
    tracker: RestartTracker
    remote: bool = False
    state: str = "stopped"
    proc: subprocess.Popen | None = None
    pid: int | None = None
    restarts: int = 0
    started_at: float = 0.0  # monotonic
    last_hb: float | None = None  # monotonic
    routable: bool = False  # running and answering: frames go straight to it
    backlog: collections.deque = field(default_factory=collections.deque)
    next_start_at: float | None = None
    stop_reason: str = ""  # set when we end it on purpose: "stop", "restart", "hung", "start timeout"
    term_at: float | None = None
    kill_at: float | None = None
    ready_flag: bool = False  # set by the readiness thread of an external child

    @property
    def name(self) -> str:
        return self.spec.name

    def uptime_s(self) -> float:
        return round(time.monotonic() - self.started_at, 3) if self.state == "running" else 0.0


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


def new_child(spec: ChildSpec, policy: RestartPolicy, remote: bool = False) -> Child:
    return Child(spec=spec, tracker=RestartTracker(policy), remote=remote)


def actor_argv(spec: ChildSpec, home: str, config_file: str | None, parent_pid: int) -> list[str]:
    argv = [sys.executable, "-m", "actors.runtime", "--name", spec.name, "--kind", spec.kind,
            "--home", home, "--parent-pid", str(parent_pid)]
    if config_file:
        argv += ["--config", config_file]
    return argv


def spare_argv(kind: str, home: str, config_file: str | None, parent_pid: int) -> list[str]:
    """A warm spare: imports done, waits on stdin for the name it will take."""
    argv = [sys.executable, "-m", "actors.runtime", "--spare", "--kind", kind, "--home", home,
            "--parent-pid", str(parent_pid)]
    if config_file:
        argv += ["--config", config_file]
    return argv


def external_argv(spec: ChildSpec, parent_pid: int) -> list[str]:
    # Through the launcher, which sets PR_SET_PDEATHSIG and then execs the program.
    return [sys.executable, "-m", "actors._pdeath", "--parent", str(parent_pid), "--", *(spec.argv or [])]
