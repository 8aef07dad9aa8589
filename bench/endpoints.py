"""Model servers as users meet them: what `status` says and what is recorded, and throughput
over several endpoints.

    python bench/endpoints.py scenarios [--tree DIR] [--only NAME ...] [--seconds S]
    python bench/endpoints.py throughput [--tree DIR] [--latency 0.5] [--tasks 24] [--builders 2 4] [--endpoints 1 2]
    python bench/endpoints.py embedded [--minutes 15] [--threads 1] [--configs 1x1 1x2 2x2]

scenarios: one scripted OpenAI-compatible server (tests/fakellm.py) standing in for a real one
(a keyed server, a server answering 500 or 429 to every chat, LM Studio listing an embedding
model first, Ollama's `name:latest`, an unknown model, a missing key, llama.cpp slow to list its
models while it generates, a streaming-only server, a small context), and the daemon of the
tree DIR (default: this checkout; `git archive main | tar -x -C /tmp/main` gives the old one)
with two builders and 30 user tasks, for S seconds. Printed per scenario: `status`'s llm state
and model, the scored attempts (and how many of them carry an LLM error: a task burnt on an
endpoint error), the attempts given back as lost work, the tasks passed, failed and ended as error.

throughput: servers of fixed latency that answer one chat at a time (llama.cpp's one slot),
1 and 2 of them, 2 and 4 builders, the whole daemon. Baseline, same run: the same builders on
one endpoint; the ratio says what a second endpoint buys (`--endpoints 1` with `--tree` of the
old code gives its one-endpoint figure).

embedded: the real embedded model behind the whole daemon, one server and one builder (the
baseline), one server and two builders, two servers (`embedded.servers = 2`'s children) and two
builders, `--n_threads 1` each: scored attempts and finished tasks per hour (user tasks, the
trainer off).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.builder import make_tasks, responder  # noqa: E402
from tests.fakellm import FakeLLM  # noqa: E402

FAST = {"COGLOOP_DAEMON_HEARTBEAT_S": "0.5", "COGLOOP_DAEMON_START_TIMEOUT_S": "60",
        "COGLOOP_DAEMON_WARM_SPARES": "false"}
EMBED = "text-embedding-nomic-embed-text-v1.5"
SCENARIOS: list[tuple[str, str, dict[str, Any], dict[str, str], float]] = [
    # name, what a user does, FakeLLM options, COGLOOP_* settings, seconds (0: --seconds)
    ("keyed", "a server that needs a key, the key configured", {"api_key": "sk-local"},
     {"LLM_API_KEY": "sk-local"}, 0),
    ("missing-key", "the same server, --model given, no key", {"api_key": "sk-local"},
     {"LLM_MODEL": "fake-model"}, 0),
    ("chat-500", "a server answering 500 to every chat", {"default": {"status": 500, "body": {
        "error": {"message": "CUDA error: out of memory"}}}, "script_only": True}, {}, 0),
    ("chat-429", "a server answering 429 to every chat", {"default": {"status": 429, "retry_after": 1, "body": {
        "error": {"message": "too many requests"}}}, "script_only": True}, {}, 0),
    ("embedding-first", "LM Studio listing an embedding model first, no --model",
     {"models": [{"id": EMBED, "object": "model", "type": "embeddings"}, "qwen2.5-coder-7b-instruct"],
      "embedding_models": [EMBED]}, {}, 0),
    ("ollama-latest", "Ollama listing llama3.2:latest, --model llama3.2",
     {"models": ["llama3.2:latest"], "strict_models": True}, {"LLM_MODEL": "llama3.2"}, 0),
    ("unknown-model", "--model that the server does not have", {"models": ["qwen2.5-coder"], "strict_models": True},
     {"LLM_MODEL": "llama9"}, 0),
    ("slow-generating", "llama.cpp generating (3 s a chat), /v1/models 3 s late meanwhile",
     {"latency_s": 3.0, "parallel": 1, "models_busy_delay_s": 3.0}, {}, 45),
    ("stream-only", "a server that only streams, llm.stream = true (where the tree has it)",
     {"stream_only": True}, {"LLM_STREAM": "true"}, 0),
    ("small-context", "a model with a 700-token context and max_tokens 512", {"n_ctx": 700}, {}, 0),
]


def tree_keys(tree: Path) -> set[str]:
    """The COGLOOP_* names the tree's configuration knows (an unknown one stops its daemon)."""
    code = ("import dataclasses, json; from ops.ground.config import Config; c = Config(); "
            "print(json.dumps([f'{s}_{f.name}'.upper() for s in ('llm', 'embedded', 'daemon') "
            "for f in dataclasses.fields(getattr(c, s))]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tree,
                         env=dict(os.environ, PYTHONPATH=str(tree)), check=True)
    return set(json.loads(out.stdout))


def start_daemon(tree: Path, home: Path, env: dict[str, str]) -> subprocess.Popen:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("COGLOOP_", "OPENAI_"))},
            **FAST, **env, "PYTHONPATH": str(tree)}
    log = open(home / "supervisor.stderr", "ab")
    return subprocess.Popen([sys.executable, "-m", "supervisor", "--home", str(home)], env=full, cwd=tree,
                            stdout=log, stderr=subprocess.STDOUT)


def stop_daemon(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def status(home: Path) -> dict[str, Any]:
    from ops.client import Client

    with Client(home, timeout=3.0, retries=2) as c:
        return c.call("status")["status"]


def wait_status(home: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the daemon exited: {(home / 'supervisor.stderr').read_text()[-2000:]}")
        try:
            status(home)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit("the daemon did not answer status")


def record(home: Path) -> dict[str, int]:
    """What the history says: scored attempts (and those whose error is an LLM error), attempts
    given back as lost work, tasks passed, failed and ended as error."""
    from store import Store

    db = Store.open(home / "history.db", readonly=True)
    one = lambda sql: int(db.one(sql)["n"])  # noqa: E731
    return {"scored": one("SELECT count(*) AS n FROM scores"),
            "scored_llm_error": one("SELECT count(*) AS n FROM attempts a JOIN scores s ON s.attempt_id = a.id "
                                    "WHERE a.error LIKE '%llm error%'"),
            "lost": one("SELECT count(*) AS n FROM attempts WHERE lost IS NOT NULL"),
            "passed": one("SELECT count(*) AS n FROM tasks WHERE status = 'passed'"),
            "failed": one("SELECT count(*) AS n FROM tasks WHERE status = 'failed'"),
            "error": one("SELECT count(*) AS n FROM tasks WHERE status = 'error'")}


def run_scenario(tree: Path, keys: set[str], name: str, fake_kw: dict[str, Any], env: dict[str, str],
                 seconds: float) -> dict[str, Any]:
    from store import Store

    kw = dict(fake_kw)
    script_only = kw.pop("script_only", False)
    with tempfile.TemporaryDirectory() as tmp, FakeLLM(**({} if script_only else {"default": responder}), **kw) as fake:
        home = Path(tmp) / "home"
        home.mkdir()
        _, errors = Store.open(home / "history.db").add_tasks(make_tasks(30, "s"))
        assert not errors, errors
        settings = {"COGLOOP_LLM_URL": fake.url,
                    "COGLOOP_DAEMON_CHILDREN": "memory:memory,scorer:scorer,builder-1:builder,builder-2:builder"}
        skipped = [k for k in env if k not in keys]
        settings.update({f"COGLOOP_{k}": v for k, v in env.items() if k in keys})
        proc = start_daemon(tree, home, settings)
        try:
            wait_status(home, proc)
            t0 = time.monotonic()
            states: list[str] = []
            while time.monotonic() - t0 < seconds:
                time.sleep(1.0)
                st = status(home)["llm"]
                states.append(st["state"])
            st = status(home)
            llm = st["llm"]
        finally:
            stop_daemon(proc)
        rec = record(home)
    return {"scenario": name, "state": llm["state"], "model": llm.get("model"), "skipped": skipped,
            "states_seen": sorted(set(re.sub(r"\d+(\.\d+)?", "N", s) for s in states)),
            "chats": len(fake.chat_requests), "endpoints": len(llm.get("endpoints") or []) or None, **rec}


def scenarios(tree: Path, only: list[str], seconds: float) -> None:
    keys = tree_keys(tree)
    commit = subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True).stdout.strip() or "(no git: an archive)"
    print(f"tree {tree} {commit}")
    print("| scenario | status llm.state at the end | model | scored attempts (LLM errors among them) | "
          "given back as lost | tasks passed / failed / error | chat requests |")
    print("|---|---|---|---|---|---|---|")
    for name, what, fake_kw, env, secs in SCENARIOS:
        if only and name not in only:
            continue
        r = run_scenario(tree, keys, name, fake_kw, env, secs or seconds)
        note = f" (not set: {', '.join(r['skipped'])})" if r["skipped"] else ""
        print(f"| {name}: {what}{note} | {r['state']} | {r['model'] or '-'} | {r['scored']} ({r['scored_llm_error']}) "
              f"| {r['lost']} | {r['passed']} / {r['failed']} / {r['error']} | {r['chats']} |", flush=True)
        print(f"<!-- {name}: states seen {r['states_seen']} -->", flush=True)


def _utc_s(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def run_throughput(tree: Path, servers: int, builders: int, latency: float, n_tasks: int) -> dict[str, float]:
    """The whole daemon of `tree` (memory, scorer, N builders) against `servers` scripted servers
    answering one chat at a time in `latency` s; tasks/s from the first finished task to the last."""
    from contextlib import ExitStack

    from store import Store

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        fakes = [stack.enter_context(FakeLLM(default=responder, latency_s=latency, parallel=1)) for _ in range(servers)]
        home = Path(tmp) / "home"
        home.mkdir()
        ids, errors = Store.open(home / "history.db").add_tasks(make_tasks(n_tasks, "t"))
        assert not errors, errors
        children = ",".join(["memory:memory", "scorer:scorer"] + [f"builder-{i}:builder" for i in range(1, builders + 1)])
        proc = start_daemon(tree, home, {"COGLOOP_LLM_URL": ",".join(f.url for f in fakes),
                                         "COGLOOP_DAEMON_CHILDREN": children})
        try:
            wait_status(home, proc)
            db = Store.open(home / "history.db", readonly=True)
            deadline = time.monotonic() + 600
            while db.one("SELECT count(*) AS n FROM tasks WHERE status IN ('passed', 'failed')")["n"] < n_tasks:
                if time.monotonic() > deadline:
                    raise SystemExit("throughput: the tasks did not finish in 600 s")
                time.sleep(0.1)
            ends = sorted(_utc_s(r["completed_at"]) for r in db.rows(
                "SELECT completed_at FROM attempts WHERE completed_at IS NOT NULL"))
        finally:
            stop_daemon(proc)
        served = [len(f.chat_requests) for f in fakes]
    return {"steady": (len(ends) - 1) / (ends[-1] - ends[0]), "served": served}


def throughput(tree: Path, latency: float, n_tasks: int, builders: list[int], endpoints: list[int]) -> None:
    """Each endpoint count beside the first (the baseline) for each builder count."""
    print(f"tree {tree}; scripted servers answering one chat at a time in {latency:g} s (llama.cpp's one slot); "
          f"{n_tasks} tasks, each a code call and a reflection call")
    print("| builders | " + " | ".join(f"{e} endpoint(s) tasks/s" for e in endpoints) +
          " | ratio to the first | chats per endpoint |")
    print("|---|" + "---|" * len(endpoints) + "---|---|")
    for n in builders:
        runs = [run_throughput(tree, e, n, latency, n_tasks) for e in endpoints]
        ratios = " / ".join(f"{r['steady'] / runs[0]['steady']:.2f}" for r in runs[1:]) or "-"
        print(f"| {n} | " + " | ".join(f"{r['steady']:.2f}" for r in runs) + f" | {ratios} | "
              + "; ".join(" / ".join(map(str, r["served"])) for r in runs) + " |", flush=True)


def run_embedded(servers: int, builders: int, minutes: float, threads: int) -> dict[str, float]:
    """The whole daemon on the embedded model: `servers` llama.cpp servers (`threads` each),
    `builders` builders, user tasks, for `minutes`; what got done."""
    from store import Store

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        Store.open(home / "history.db").add_tasks(make_tasks(400, "e"))
        llms = ["llm:llm"] if servers == 1 else [f"llm-{i}:llm" for i in range(1, servers + 1)]
        children = ",".join(llms + ["memory:memory", "scorer:scorer"] +
                            [f"builder-{i}:builder" for i in range(1, builders + 1)])
        proc = start_daemon(ROOT, home, {"COGLOOP_LLM_URL": "", "COGLOOP_DAEMON_CHILDREN": children,
                                         "COGLOOP_EMBEDDED_THREADS": str(threads),
                                         "COGLOOP_DAEMON_START_TIMEOUT_S": "300"})
        try:
            wait_status(home, proc, timeout=300)
            deadline = time.monotonic() + 600
            while status(home)["llm"]["state"] not in ("ok", "busy") or \
                    any(e["state"] not in ("ok", "busy") for e in status(home)["llm"]["endpoints"]):
                if time.monotonic() > deadline:
                    raise SystemExit(f"embedded servers not ready: {status(home)['llm']}")
                time.sleep(1)
            db = Store.open(home / "history.db", readonly=True)
            t0 = time.time()
            time.sleep(minutes * 60)
            since = datetime.fromtimestamp(t0, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            scored = db.one("SELECT count(*) AS n FROM scores WHERE created_at >= ?", [since])["n"]
            done = db.one("SELECT count(*) AS n FROM tasks WHERE status IN ('passed', 'failed') "
                          "AND updated_at >= ?", [since])["n"]
            llm = status(home)["llm"]
        finally:
            stop_daemon(proc)
    hours = minutes / 60
    return {"attempts_h": scored / hours, "tasks_h": done / hours, "calls": [e["calls"] for e in llm["endpoints"]],
            "errors": [e["errors"] for e in llm["endpoints"]]}


def embedded(minutes: float, configs: list[tuple[int, int]], threads: int) -> None:
    print(f"embedded SmolLM2-135M (llama.cpp, --n_threads {threads} per server), whole daemon, "
          f"{minutes:g} min each after the servers answer; {os.cpu_count()} cores, shared")
    print("| servers | builders | scored attempts/hour | tasks done/hour | calls per endpoint | errors |")
    print("|---|---|---|---|---|---|")
    for servers, builders in configs:
        r = run_embedded(servers, builders, minutes, threads)
        print(f"| {servers} | {builders} | {r['attempts_h']:.0f} | {r['tasks_h']:.0f} | "
              f"{' / '.join(map(str, r['calls']))} | {' / '.join(map(str, r['errors']))} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("scenarios")
    s.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose daemon runs (default: this one)")
    s.add_argument("--only", nargs="*", default=[])
    s.add_argument("--seconds", type=float, default=15.0)
    t = sub.add_parser("throughput")
    t.add_argument("--tree", type=Path, default=ROOT)
    t.add_argument("--latency", type=float, default=0.5, help="seconds each chat takes")
    t.add_argument("--tasks", type=int, default=24)
    t.add_argument("--builders", type=int, nargs="+", default=[2, 4])
    t.add_argument("--endpoints", type=int, nargs="+", default=[1, 2], help="the first is the baseline")
    e = sub.add_parser("embedded")
    e.add_argument("--minutes", type=float, default=15.0)
    e.add_argument("--threads", type=int, default=1, help="llama.cpp threads per server")
    e.add_argument("--configs", nargs="+", default=["1x1", "1x2", "2x2"],
                   help="SERVERSxBUILDERS, the first the baseline")
    args = p.parse_args()
    if args.mode == "embedded":
        embedded(args.minutes, [tuple(map(int, c.split("x"))) for c in args.configs], args.threads)  # type: ignore[misc]
    elif args.mode == "scenarios":
        scenarios(args.tree.resolve(), args.only, args.seconds)
    elif args.mode == "throughput":
        throughput(args.tree.resolve(), args.latency, args.tasks, args.builders, args.endpoints)


if __name__ == "__main__":
    main()
