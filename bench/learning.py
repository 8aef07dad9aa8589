"""Learning, measured: train the loop, then run the held-out exam with arms side by side.

    python bench/learning.py --tasks 80 [--arms plain,loop] [--llm-url URL] [--train 60]
                             [--difficulties 1 2] [--temperature 0] [--home DIR] [--exam-before]
                             [--n_threads 1 --n_threads_batch 1] [--exam-seed 0]
                             [--train-set builder.samples=4 ...]

1. A home (a fresh temporary one unless --home) and its exam: `cogloop exam create --tasks N`
   (bank tasks at negative seeds, no duplicate of a training prompt, one generator per level
   reserved: the seen- and held-out-generator parts).
2. Training: --train bank tasks at the same difficulties, all skills, seeds 0, 1, ... (never a
   reserved generator or an exam prompt), one scored attempt each, through the real daemon
   (`cogloop up`: supervisor, Memory, Scorer, one Builder with the configured memory and
   search) against the endpoint; its lessons and archive are what the loop arm can use.
   --train-set KEY=VALUE changes the configuration of the training daemon only (as the
   `COGLOOP_*` variable of KEY): e.g. `builder.samples=4` lets training search harder for
   solutions to archive while the exam's loop arm keeps the configured strategy.
   --exam-before also runs the exam before training (a first point of the learning curve).
3. The exam: `cogloop exam run --arms ...` on the same endpoint (plain and nomemory are added:
   plain is the baseline of the ratio, nomemory the memory-off side of "memory on-off").

The endpoint is --llm-url, else the embedded model (llama.cpp + SmolLM2-135M) started here with
--n_threads / --n_threads_batch. Prints each exam run's table (arms with counts, intervals
clustered by generator, seen and held-out parts, tokens per solved task; paired lifts) and
ends with one line:

    learning: plain P/N, loop L/N, ratio R; memory on-off D pts (seen S pts, held-out H pts)

The home is kept (its path is printed): `cogloop report --home DIR --html report.html` draws
the learning curve.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actors.exam.summary import learning_line  # noqa: E402
from actors.llm import running_embedded  # noqa: E402
from ops.ground.config import EXAM_ARMS, Config, env_name, split_arms  # noqa: E402
from ops.report.learning import summary_lines  # noqa: E402

TRAIN_CHILDREN = "memory:memory,scorer:scorer,builder-1:builder"  # no Trainer: the bench sets the training tasks


def cogloop(home: Path, *args: str, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COGLOOP_HOME=str(home))
    out = subprocess.run([sys.executable, "-m", "ops.cli", *args, "--home", str(home)], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=None, timeout=timeout)
    if check and out.returncode != 0:
        raise SystemExit(f"cogloop {' '.join(args)} failed ({out.returncode}): {out.stdout[-500:]}")
    return out


def training_tasks(home: Path, n: int, difficulties: list[int]) -> list[dict]:
    """n bank tasks spread over the levels, seeds from 0, skipping what the exam guards."""
    from actors.exam.guard import ExamGuard
    from actors.trainer.taskbank import SKILLS, make_task
    from store import Store

    with Store.open(home / "history.db") as s:
        g = s.exam_guard()
    guard = ExamGuard.from_lists(g["generators"], g["prompts"])
    levels = [(skill, d) for d in difficulties for skill in SKILLS]
    out, seed, seen = [], 0, set()
    while len(out) < n:
        skill, d = levels[len(out) % len(levels)]
        while True:
            t = make_task(skill, d, seed)
            seed += 1
            if guard.allows(t) and t["prompt"] not in seen:
                break
        seen.add(t["prompt"])
        out.append({**t, "id": f"train-{len(out) + 1:04d}", "max_attempts": 1})
    return out


def train_env(settings: list[str]) -> dict[str, str]:
    """--train-set builder.samples=4 -> {"COGLOOP_BUILDER_SAMPLES": "4"}."""
    env = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise SystemExit(f"--train-set: expected SECTION.KEY=VALUE, got {item!r}")
        env[env_name(key.strip())] = value.strip()
    return env


def train(home: Path, url: str, tasks: list[dict], timeout_s: float, env: dict[str, str] | None = None) -> dict:
    """Run the daemon until every training task is scored; returns counts. `env`: extra
    `COGLOOP_*` settings for the training daemon only."""
    from store import Store

    with Store.open(home / "history.db") as s:
        ids, errors = s.add_tasks(tasks)
    if errors:
        raise SystemExit(f"training tasks refused: {errors[:3]}")
    extra = {"COGLOOP_DAEMON_CHILDREN": TRAIN_CHILDREN, **(env or {})}
    os.environ.update(extra)
    try:
        cogloop(home, "up", "--detach", "--llm-url", url)
    finally:
        for k in extra:
            os.environ.pop(k, None)
    t0 = time.monotonic()
    marks = ",".join("?" for _ in ids)
    try:
        while True:
            with Store.open(home / "history.db", readonly=True) as db:
                done = db.one(f"SELECT count(*) AS n FROM tasks WHERE id IN ({marks}) AND status NOT IN "
                              "('queued', 'leased')", ids)["n"]
                passed = db.one(f"SELECT count(*) AS n FROM tasks WHERE id IN ({marks}) AND status = 'passed'", ids)["n"]
            if done >= len(ids) or time.monotonic() - t0 > timeout_s:
                break
            time.sleep(2.0)
    finally:
        cogloop(home, "down", check=False)
    with Store.open(home / "history.db", readonly=True) as db:
        lessons = db.one("SELECT count(*) AS n FROM lessons")["n"]
        archived = db.one("SELECT count(*) AS n FROM solutions")["n"]
        scored = db.one("SELECT count(*) AS n FROM scores")["n"]
    return {"tasks": len(ids), "done": done, "passed": passed, "scored": scored, "lessons": lessons,
            "archived": archived, "wall_s": round(time.monotonic() - t0, 1)}


def exam_run(home: Path, url: str, arms: list[str]) -> dict:
    out = cogloop(home, "exam", "run", "--arms", ",".join(arms), "--llm-url", url, "--json")
    return json.loads(out.stdout)


def embedded_extra(threads: int, threads_batch: int) -> tuple[str, ...]:
    """llama.cpp thread flags for the embedded model beyond the configuration's."""
    return tuple((["--n_threads", str(threads)] if threads else []) +
                 (["--n_threads_batch", str(threads_batch)] if threads_batch else []))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", type=int, default=80, help="exam tasks (default 80)")
    p.add_argument("--arms", default="plain,loop", help=f"comma-separated, of {', '.join(EXAM_ARMS)}")
    p.add_argument("--llm-url", help="an OpenAI-compatible endpoint (default: the embedded model)")
    p.add_argument("--train", type=int, default=60, help="training tasks before the exam (default 60)")
    p.add_argument("--difficulties", type=int, nargs="+", default=[1, 2])
    p.add_argument("--heldout-share", type=float, default=0.25)
    p.add_argument("--temperature", type=float, default=0.0, help="the model's temperature (default 0)")
    p.add_argument("--home", help="use this home (kept; default: a new temporary one, also kept)")
    p.add_argument("--exam-before", action="store_true", help="also run the exam before training")
    p.add_argument("--train-timeout", type=float, default=6 * 3600)
    p.add_argument("--train-set", action="append", default=[], metavar="KEY=VALUE",
                   help="configuration of the training daemon only, e.g. builder.samples=4 (repeatable)")
    p.add_argument("--train-only", action="store_true", help="create the exam and train; run the exam later")
    p.add_argument("--exam-seed", type=int, default=0, help="the exam's seed: which tasks and reserved generators")
    p.add_argument("--n_threads", type=int, default=0, help="llama.cpp threads for the embedded model")
    p.add_argument("--n_threads_batch", type=int, default=0, help="llama.cpp batch threads for the embedded model")
    args = p.parse_args()
    arms = split_arms(args.arms)
    unknown = [a for a in arms if a not in EXAM_ARMS]
    if unknown:
        raise SystemExit(f"--arms: unknown arm {unknown[0]!r} (known: {', '.join(EXAM_ARMS)})")
    arms = list(dict.fromkeys(["plain", *arms, *(["nomemory"] if "loop" in arms else [])]))
    home = Path(args.home).expanduser().absolute() if args.home else Path(tempfile.mkdtemp(prefix="cogloop-learning-"))
    home.mkdir(parents=True, exist_ok=True)
    (home / "cogloop.toml").write_text(f"[llm]\ntemperature = {args.temperature}\nseed = 0\n")
    print(f"home {home}; arms {', '.join(arms)}; temperature {args.temperature}", flush=True)
    with contextlib.ExitStack() as stack:
        url = args.llm_url
        if not url:
            url, model = stack.enter_context(running_embedded(Config(), extra_argv=embedded_extra(
                args.n_threads, args.n_threads_batch)))
            print(f"embedded model {model} at {url} (n_threads {args.n_threads or 'default'}, "
                  f"n_threads_batch {args.n_threads_batch or 'default'})", flush=True)
        run_all(args, home, url, arms)


def run_all(args: argparse.Namespace, home: Path, url: str, arms: list[str]) -> None:
    spec = ["--tasks", str(args.tasks), "--difficulties", *map(str, args.difficulties),
            "--heldout-share", str(args.heldout_share), "--seed", str(args.exam_seed)]
    created = cogloop(home, "exam", "create", *spec, "--json", check=False)
    if created.returncode == 0:
        print(f"exam: {created.stdout.strip()}", flush=True)
    runs = []
    if args.exam_before:
        runs.append(exam_run(home, url, arms))
        print("\n".join(summary_lines(runs[-1])), flush=True)
    if args.train:
        t0 = time.monotonic()
        stats = train(home, url, training_tasks(home, args.train, args.difficulties), args.train_timeout,
                      train_env(args.train_set))
        print(f"training: {json.dumps(stats)} ({time.monotonic() - t0:.0f}s)", flush=True)
    if args.train_only:
        print(f"exam later: cogloop exam run --home {home} --arms {','.join(arms)}", flush=True)
        return
    t0 = time.monotonic()
    runs.append(exam_run(home, url, arms))
    print(f"exam run: {time.monotonic() - t0:.0f}s", flush=True)
    print("\n".join(summary_lines(runs[-1])), flush=True)
    print(f"report: cogloop report --home {home} --html {home}/report.html", flush=True)
    print(learning_line(runs[-1]), flush=True)

if __name__ == "__main__":
    main()
