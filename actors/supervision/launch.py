"""Starting the children's processes: argv, environment, log files, and the warm spares.

One Launcher per supervisor. Every start goes through `spawn(child)`: a warm spare of the kind
takes the name when there is one (spares.py), else a fresh process. Children get the effective
configuration as COGLOOP_* variables and the code root on PYTHONPATH, run in their own process
group (a terminal's Ctrl-C reaches only the supervisor, which stops them in order) and die with
the supervisor (PR_SET_PDEATHSIG, set by the runtime or by `actors._pdeath` for programs).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from actors.supervision.children import ChildSpec
from actors.supervision.spares import SparePool

log = logging.getLogger("cogloop.supervisor")

CODE_ROOT = Path(__file__).resolve().parents[2]
READY_POLL_S = 0.25


def config_env(cfg: Any) -> dict[str, str]:
    """The effective configuration as COGLOOP_* variables, so children see the flags too."""
    env = {}
    for section, values in cfg.to_dict().items():
        for key, value in values.items():
            env[f"COGLOOP_{section}_{key}".upper()] = (str(value).lower() if isinstance(value, bool) else
                                                      json.dumps(value) if isinstance(value, list) else str(value))
    return env


def actor_argv(spec: ChildSpec, home: str, config_file: str | None, parent_pid: int) -> list[str]:
    argv = [sys.executable, "-m", "actors.runtime", "--name", spec.name, "--kind", spec.kind,
            "--home", home, "--parent-pid", str(parent_pid)]
    return argv + (["--config", config_file] if config_file else [])


def spare_argv(kind: str, home: str, config_file: str | None, parent_pid: int) -> list[str]:
    """A warm spare: imports done, waits on stdin for the name it will take."""
    argv = [sys.executable, "-m", "actors.runtime", "--spare", "--kind", kind, "--home", home,
            "--parent-pid", str(parent_pid)]
    return argv + (["--config", config_file] if config_file else [])


def external_argv(spec: ChildSpec, parent_pid: int) -> list[str]:
    # Through the launcher, which sets PR_SET_PDEATHSIG and then execs the program.
    return [sys.executable, "-m", "actors._pdeath", "--parent", str(parent_pid), "--", *(spec.argv or [])]


class Launcher:
    """Makes the children's processes and keeps the warm spares; the supervisor decides when."""

    def __init__(self, home: Any, config_file: str | None, cfg: Any):
        self.home = home  # ops.ground.home.Home
        self.config_file = config_file
        self.cfg = cfg  # replaced on reload
        self.llm_url = ""  # the embedded server's, handed to every actor as COGLOOP_LLM_URL
        self.spares = SparePool(self._spare)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Children import this very tree, installed or not (cwd is HOME, not the checkout).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH")]))
        env.update(config_env(self.cfg))
        if self.llm_url:
            env["COGLOOP_LLM_URL"] = self.llm_url
        return env

    def log_file(self, name: str) -> IO[bytes]:
        """HOME/logs/NAME.log, rotated first when it is too big (children write plain stderr)."""
        path = self.home.logs / f"{name}.log"
        d = self.cfg.daemon
        if path.exists() and path.stat().st_size > d.log_max_bytes:
            for i in range(d.log_backups - 1, 0, -1):
                src = path.with_name(f"{name}.log.{i}")
                if src.exists():
                    src.replace(path.with_name(f"{name}.log.{i + 1}"))
            path.replace(path.with_name(f"{name}.log.1"))
        return open(path, "ab")

    def _start(self, spec: ChildSpec, paused: bool) -> subprocess.Popen:
        """A process for `spec` (OSError when none can be made); an actor starts `paused` (no
        work() until told actor.resume) when the daemon is."""
        if not spec.external:
            spare = self.spares.take(spec.kind, spec.name, lambda: self.log_file(spec.name).close(), paused=paused)
            if spare is not None:
                return spare
            argv = actor_argv(spec, str(self.home.root), self.config_file, os.getpid()) + (["--paused"] if paused else [])
        else:
            argv = external_argv(spec, os.getpid())
        env = self.env()
        env.update(spec.env)
        with self.log_file(spec.name) as logf:
            # Its own process group: a terminal's Ctrl-C (SIGINT to the foreground group)
            # reaches only the supervisor, which then stops the children in reverse order.
            return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                    close_fds=True, cwd=str(self.home.root), process_group=0)

    def _spare(self, kind: str) -> subprocess.Popen:
        argv = spare_argv(kind, str(self.home.root), self.config_file, os.getpid())
        with open(self.home.logs / "spares.log", "ab") as logf:
            return subprocess.Popen(argv, env=self.env(), stdin=subprocess.PIPE, stdout=logf, stderr=subprocess.STDOUT,
                                    close_fds=True, cwd=str(self.home.root), process_group=0)

    def spawn(self, child: Any, paused: bool = False) -> int | None:
        """Start `child`'s process (roster.Child); its pid, or None when none could be made (logged).
        `paused`: the daemon is, so an actor starts paused (actors/control/pause.py on_ready).
        An external program with a ready check is watched by a thread that sets `ready_flag`."""
        try:
            proc = self._start(child.spec, paused)
        except OSError as exc:
            log.error("cannot start %s: %s", child.name, exc)
            return None
        child.proc = proc
        child.started_paused = paused and not child.spec.external
        child.ready_flag = child.spec.external and child.spec.ready is None
        if child.spec.external and child.spec.ready is not None:
            threading.Thread(target=_wait_ready, args=(child, proc), daemon=True).start()
        return proc.pid


def _wait_ready(child: Any, proc: subprocess.Popen) -> None:
    while proc.poll() is None and child.proc is proc:
        try:
            if child.spec.ready and child.spec.ready():
                child.ready_flag = True
                return
        except Exception:
            pass
        time.sleep(READY_POLL_S)


def signal_child(child: Any, sig: int) -> None:
    """Send `sig` to `child`'s process if it still runs; SIGTERM with a SIGCONT (a stopped
    process must run to die)."""
    if child.proc is not None and child.proc.poll() is None:
        try:
            child.proc.send_signal(sig)
            if sig == signal.SIGTERM:
                child.proc.send_signal(signal.SIGCONT)
        except ProcessLookupError:
            pass


def exits(children: Iterable[Any]) -> Iterator[tuple[Any, int]]:
    """(child, exit status) for each child whose process has exited (reaped now)."""
    for child in children:
        if child.proc is not None and (rc := child.proc.poll()) is not None:
            yield child, rc
