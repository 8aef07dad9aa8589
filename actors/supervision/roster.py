"""The children the supervisor knows, each with what it owns: its spec, its process, its life
(lifecycle.py) and its backlog (backlog.py). Local children are kept in start order; remote
actors (over the tcp bus) join with their first heartbeat, bounded in number.

Also the ordered start: the next child once the one before it is up.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any, Iterator

from actors.supervision.backlog import Backlog
from actors.supervision.children import ChildSpec
from actors.supervision.lifecycle import FATAL, STARTING, STOPPED, Lifecycle, Timing
from actors.supervision.policy import RestartPolicy, RestartTracker
from ops.ground.errors import CogloopError

MAX_REMOTE = 64  # remote actors known at once; stopped ones are forgotten after a minute


@dataclass
class Child:
    spec: ChildSpec
    life: Lifecycle
    backlog: Backlog
    proc: subprocess.Popen | None = None
    ready_flag: bool = False  # set by the readiness thread of an external child
    started_paused: bool = False  # its process started paused (the daemon was): launch.py

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def state(self) -> str:
        return self.life.state

    @property
    def remote(self) -> bool:
        return self.life.remote


class Roster:
    def __init__(self, cfg: Any):
        self.children: dict[str, Child] = {}
        self.order: list[str] = []  # local children, in start order
        self._next = 0  # ordered start: the index in `order` of the next one to start
        self.configure(cfg)

    def configure(self, cfg: Any) -> None:
        """Timings, restart policy and backlog size from a (re)loaded configuration, for all."""
        self.cfg = cfg
        self.policy = RestartPolicy.from_config(cfg.daemon)
        for child in self.children.values():
            child.life.tracker.policy = self.policy
            child.life.timing = Timing.of(cfg, child.spec.kind)
            child.backlog.capacity = cfg.daemon.backlog

    def _new(self, spec: ChildSpec, remote: bool = False) -> Child:
        life = Lifecycle(spec.name, RestartTracker(self.policy), Timing.of(self.cfg, spec.kind),
                         external=spec.external, remote=remote)
        child = Child(spec, life, Backlog(self.cfg.daemon.backlog))
        self.children[spec.name] = child
        return child

    def __iter__(self) -> Iterator[Child]:
        return iter(list(self.children.values()))

    def get(self, name: str) -> Child | None:
        return self.children.get(name)

    def local(self, name: str) -> Child:
        """The local child `name`, or a one-line error naming them all."""
        child = self.children.get(name)
        if child is None or child.remote:
            raise CogloopError(f"no child named {name!r} (children: {', '.join(self.order)})")
        return child

    def kind_of(self, name: str) -> str:
        """The kind an op's entry names a sender or addressee by: "?" for a stranger."""
        child = self.children.get(name)
        return child.spec.kind if child is not None else "?"

    def add(self, specs: list[ChildSpec]) -> list[Child]:
        """Local children from `specs`, in order; those already known get the new spec. The new ones."""
        new = []
        for spec in specs:
            if spec.name in self.children:
                self.children[spec.name].spec = spec
                continue
            new.append(self._new(spec))
            self.order.append(spec.name)
        return new

    def retire(self, keep: set[str]) -> list[Child]:
        """Local children no longer wanted, out of the start order (a reload): the caller ends
        them, and forgets each once it has no process."""
        gone = [self.children[name] for name in self.order if name not in keep]
        self.order = [name for name in self.order if name in keep]
        return gone

    def join(self, name: str, kind: Any, known_kinds: Any) -> Child | None:
        """A remote actor heard for the first time; None when refused (an unknown kind, or too many)."""
        if kind not in known_kinds or sum(1 for c in self.children.values() if c.remote) >= MAX_REMOTE:
            return None
        return self._new(ChildSpec(name, kind), remote=True)

    def forget(self, name: str) -> None:
        self.children.pop(name, None)

    def listed(self) -> list[Child]:
        """Local children in start order, then the remote ones: the order `status` shows."""
        return [self.children[n] for n in self.order] + [c for c in self.children.values() if c.remote]

    def next_to_start(self) -> Child | None:
        """The next child to start, in order, once the one before it is up (or given up on);
        None for now. An external program (the model server) may take minutes to load: nobody
        waits on it. The caller starts each child it is given before asking again."""
        while self._next < len(self.order):
            prev = self.children[self.order[self._next - 1]] if self._next else None
            if prev is not None and prev.state == STARTING and not prev.spec.external:
                return None
            child = self.children[self.order[self._next]]
            self._next += 1
            if child.state == STOPPED and child.proc is None:
                return child
        return None

    def spare_kinds(self) -> list[str]:
        """The actor kinds that want a warm spare (launch.py); none while a child is starting,
        so making spares never slows a start."""
        if any(c.state == STARTING for c in self.children.values()):
            return []
        return [c.spec.kind for c in self.children.values() if not c.remote and not c.spec.external and c.state != FATAL]

    @property
    def started_all(self) -> bool:
        return self._next >= len(self.order)
