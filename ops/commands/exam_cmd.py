"""`cogloop exam` — the held-out exam: create it once, run arms side by side, show the results.

Usage:
    cogloop exam create [--tasks N] [--difficulties D ...] [--skills S,...] [--heldout-share F]
                        [--seed N] [--humaneval N | --humaneval-ids ID ...]
    cogloop exam run [--arms A,B,...] [--limit N] [--llm-url URL] [--model M] [--no-cache] [--quiet]
    cogloop exam show [--run ID]
    (every subcommand takes --home H --config F --json)

Examples:
    cogloop exam create --tasks 80                       # bank tasks at difficulties 1-2, a quarter held out
    cogloop exam run                                     # arms plain and loop on the configured model
    cogloop exam run --arms plain,loop,nomemory,repair,lessons,examples,sampling,plain@k
    cogloop exam run --llm-url http://localhost:1234/v1 --json
    cogloop exam show --json

The exam is fixed once created: bank tasks at negative seeds (training seeds are never
negative), no exact duplicate of a prompt training has seen, and one generator per level
reserved for it (the Trainer never sets reserved generators), so results split into a
seen-generator part and a held-out-generator part. `run` creates the default exam if the home
has none. Arms: plain (one try, no memory), loop (the configured Builder), nomemory (the loop
with lessons and examples off), repair, lessons, examples, sampling (each part alone on top of
plain), plain@k (k plain candidates, passed if any passes). A run is pinned to one endpoint and
model; results never touch the training record; memory-independent arms are cached per exam,
model and settings (--no-cache runs them again). The endpoint: --llm-url, the configuration,
else the daemon's embedded model, else an embedded model started for the run.

Messages: `create` sends memory `exam.create` (in batches), `run` sends `exam.run.start`,
`exam.result` per task and arm, and `exam.run.finish`, through the daemon when one runs at
HOME, else straight into the store. `show` reads only. Ctrl-C (or SIGTERM) stops a run after
the current task; its results so far are kept. Exit 0 done, 1 failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from typing import Any

from ops.commands import _exam
from ops.context import Context
from ops.ground.config import EXAM_ARMS
from ops.ground.errors import CogloopError, UsageError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("exam", help="the held-out exam: arms side by side, learning measured",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    esub = p.add_subparsers(dest="exam_command", metavar="SUBCOMMAND", required=True)

    c = esub.add_parser("create", parents=[common], help="choose this home's exam (once; it is fixed)",
                        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--tasks", type=int, default=80, help="bank tasks in the exam (default 80)")
    c.add_argument("--difficulties", type=int, nargs="+", default=[1, 2], metavar="D", help="default: 1 2")
    c.add_argument("--skills", help="comma-separated skills (default: all ten)")
    c.add_argument("--heldout-share", type=float, default=0.25, metavar="F",
                   help="share of tasks from generators reserved for the exam (default 0.25)")
    c.add_argument("--seed", type=int, default=0, help="which exam seeds and reserved generators (default 0)")
    c.add_argument("--humaneval", type=int, metavar="N", help="also the first N HumanEval problems")
    c.add_argument("--humaneval-ids", nargs="+", metavar="ID", help="also these HumanEval problems (HumanEval/7 or 7)")
    c.set_defaults(handler=run_create)

    r = esub.add_parser("run", parents=[common], help="run arms side by side on the exam",
                        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--arms", default=None, metavar="A,B", help=f"comma-separated, of: {', '.join(EXAM_ARMS)} "
                   "(default: trainer.exam_arms, plain,loop)")
    r.add_argument("--limit", type=int, metavar="N", help="only the first N exam tasks")
    r.add_argument("--llm-url", metavar="URL", help="OpenAI base URL including /v1")
    r.add_argument("--model", metavar="M", help="model name (default: the first the server lists)")
    r.add_argument("--no-cache", action="store_true", help="run memory-independent arms again")
    r.add_argument("--quiet", action="store_true", help="no progress lines")
    r.set_defaults(handler=run_run)

    s = esub.add_parser("show", parents=[common], help="the exam and its runs", epilog=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--run", metavar="ID", help="this run's figures (default: the latest)")
    s.set_defaults(handler=run_show)


# --- create ------------------------------------------------------------------------------
def _spec(args: argparse.Namespace) -> Any:
    from actors.exam.tasks import SKILLS, ExamSpec, ExamSpecError

    skills = tuple(s.strip() for s in args.skills.split(",") if s.strip()) if args.skills else SKILLS
    try:
        return ExamSpec(tasks=args.tasks, difficulties=tuple(args.difficulties), skills=skills,
                        heldout_share=args.heldout_share, seed=args.seed)
    except ExamSpecError as exc:
        raise UsageError(f"exam create: {exc}") from None


def create(ctx: Context, spec: Any, humaneval: list[dict] | None = None) -> tuple[str, Any]:
    """Choose and store this home's exam; refuses when it has one (an exam is fixed)."""
    from actors.exam.tasks import select_exam
    from store import ExamFixed

    existing = _exam.the_exam(ctx)
    if existing is not None:
        raise ExamFixed(f"this home's exam {existing['id']} exists (created {existing['created_at'][:19]}Z, "
                        f"{len(existing['tasks'])} tasks): an exam is fixed once created")
    prompts, generators = _exam.training_seen(ctx)
    draft = select_exam(spec, training_prompts=prompts, training_generators=generators, humaneval=humaneval or [])
    if not draft.tasks:
        raise CogloopError("exam create: no task could be chosen (every candidate duplicates training)")
    return _exam.write_exam(ctx, draft), draft


def run_create(ctx: Context, args: argparse.Namespace) -> int:
    humaneval = None
    if args.humaneval or args.humaneval_ids:
        from ops.commands.import_humaneval import prepare

        humaneval = prepare(args.humaneval, args.humaneval_ids)
    exam_id, draft = create(ctx, _spec(args), humaneval)
    parts = {p: sum(1 for t in draft.tasks if t["part"] == p) for p in ("seen", "heldout")}
    out = {"id": exam_id, "tasks": len(draft.tasks), "parts": parts, "reserved": draft.reserved,
           "dropped": draft.dropped, "shortfall": draft.shortfall,
           "generators": len({t["generator"] for t in draft.tasks})}
    if ctx.json:
        ctx.emit_json(out)
        return 0
    ctx.say(f"exam {exam_id}: {out['tasks']} tasks from {out['generators']} generators "
            f"({parts['seen']} seen-generator, {parts['heldout']} held-out-generator)")
    ctx.say(f"reserved for the exam (never trained on): {', '.join(draft.reserved) or 'none'}")
    ctx.say(f"dropped as exact duplicates: {draft.dropped['training_duplicate']} of training, "
            f"{draft.dropped['exam_duplicate']} of the exam itself")
    if draft.shortfall:
        ctx.say(f"warning: {draft.shortfall} fewer tasks than asked for: the bank ran out of new prompts")
    return 0


# --- run ---------------------------------------------------------------------------------
def _arms(ctx: Context, text: str | None) -> list[Any]:
    from actors.builder.strategy import Strategy
    from actors.exam.arms import UnknownArm, parse_arms

    try:
        return parse_arms(text if text is not None else ctx.config.trainer.exam_arms,
                          Strategy.from_config(ctx.config.builder), ctx.config.builder.search)
    except UnknownArm as exc:
        raise UsageError(f"--arms: {exc}") from None


def _stop_on_signals(stopping: threading.Event) -> None:
    """The first Ctrl-C or SIGTERM finishes the current task and stops; a second Ctrl-C interrupts."""
    def handler(signum: int, frame: Any) -> None:
        if stopping.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stopping.set()
        print("cogloop: stopping the exam after the current task", file=sys.stderr)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)


def run_exam(ctx: Context, arm_text: str | None, *, limit: int | None = None, use_cache: bool = True,
             quiet: bool = False) -> dict[str, Any]:
    """Run the exam (created first if the home has none); returns the run's summary."""
    from actors.exam.runner import ExamRunner, Recall
    from actors.exam.summary import summarize
    from actors.exam.tasks import ExamSpec

    arms = _arms(ctx, arm_text)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit: expected 1 or more, got {limit}")
    say = (lambda text: None) if quiet or ctx.json else (lambda text: print(text, file=sys.stderr, flush=True))
    exam = _exam.the_exam(ctx)
    if exam is None:
        exam_id, _ = create(ctx, ExamSpec())
        say(f"created this home's exam {exam_id} (cogloop exam create chooses another; it is fixed once made)")
        exam = _exam.the_exam(ctx)
        assert exam is not None
    tasks = exam["tasks"][:limit] if limit else exam["tasks"]
    _exam.reap_abandoned(ctx)
    leaks = _leaks(ctx, exam)
    if leaks["prompts"] or leaks["generators"]:
        say(f"warning: the training record holds {leaks['prompts']} exam prompt(s) and tasks of "
            f"{len(leaks['generators'])} reserved generator(s) ({', '.join(leaks['generators']) or '-'}): "
            "tasks added by hand, or before the Trainer read the exam's guard")
    stopping = threading.Event()
    _stop_on_signals(stopping)
    visible, grade = _exam.sandbox_tools(ctx)
    memory = _exam.MemoryReader(ctx)
    try:
        with _exam.endpoint(ctx, say) as llm:
            model = _exam.model_of(llm)
            cfg = ctx.config
            settings = {"model": model, "temperature": cfg.llm.temperature, "max_tokens": cfg.llm.max_tokens,
                        "seed": cfg.llm.seed, "prompt_token_budget": cfg.builder.prompt_token_budget}
            run_id = uuid.uuid4().hex
            started = time.monotonic()

            verdicts: list[str] = []

            def progress(done: int, total: int, row: Any) -> None:
                verdicts.append(f"{row['arm']} {'pass' if row['passed'] else 'fail'}"
                                + (" (cached)" if row.get("cached_from") else ""))
                if done % len(arms) == 0:
                    et = tasks[done // len(arms) - 1]
                    say(f"exam {done // len(arms)}/{len(tasks)} {et['id']} {et['generator']} [{et['part']}]: "
                        f"{', '.join(verdicts)} ({time.monotonic() - started:.0f}s)")
                    verdicts.clear()
            runner = ExamRunner(tasks, arms, exam_id=exam["id"], llm=llm.chat, run_tests=visible, grade=grade,
                                memory=Recall(memory.lessons, memory.similar, memory.search_stats),
                                sink=_exam.Sink(ctx), model_settings=settings, budget=cfg.builder.prompt_token_budget,
                                search_cost=cfg.builder.search_cost,
                                use_cache=use_cache, endpoint=str(llm.url or ""), stopping=stopping,
                                progress=progress)
            status = runner.run({"id": run_id, "exam_id": exam["id"], "arms": [a.to_dict() for a in arms],
                                 "endpoint": str(llm.url or ""), "model": model, "settings": settings,
                                 "training_attempts": exam["training_attempts"], "tasks": len(tasks),
                                 "pid": os.getpid()})
    finally:
        memory.close()
    results = _run_results(ctx, run_id)
    summary = summarize(tasks, results, [a.name for a in arms])
    return {"run": run_id, "exam": exam["id"], "status": status, "model": model,
            "training_attempts": exam["training_attempts"], "leaks": leaks, **summary}


def _leaks(ctx: Context, exam: dict[str, Any]) -> dict[str, Any]:
    """Exam prompts and reserved generators that nonetheless reached the training record."""
    prompts, generators = _exam.training_seen(ctx)
    return {"prompts": sum(1 for t in exam["tasks"] if t["prompt_key"] in prompts),
            "generators": sorted(set(exam["reserved"]) & generators)}


def _run_results(ctx: Context, run_id: str) -> list[dict[str, Any]]:
    from ops.commands._store import open_for_read

    with open_for_read(ctx) as store:
        return store.exam_results(run_id)


def run_run(ctx: Context, args: argparse.Namespace) -> int:
    overrides = {"llm.url": args.llm_url, "llm.model": args.model}
    ctx.overrides.update({k: v for k, v in overrides.items() if v is not None})
    summary = run_exam(ctx, args.arms, limit=args.limit, use_cache=not args.no_cache, quiet=args.quiet)
    if ctx.json:
        ctx.emit_json(summary)
    else:
        from ops.report.learning import summary_lines

        for line in summary_lines(summary):
            ctx.say(line)
    return 0 if summary["status"] in ("done", "stopped") else 1


# --- show --------------------------------------------------------------------------------
def run_show(ctx: Context, args: argparse.Namespace) -> int:
    from ops.readdb import open_readonly
    from ops.report.learning import collect, summary_lines

    no_exam = "this home has no exam yet: cogloop exam create (or cogloop exam run)"
    if not ctx.home.db.exists():
        raise CogloopError(no_exam)
    conn = open_readonly(ctx.home.db)
    try:
        data = collect(conn, run_id=args.run)
    finally:
        conn.close()
    if data is None:
        raise CogloopError(no_exam)
    if args.run and data["latest"] is None:
        raise UsageError(f"--run {args.run}: no such run of this home's exam")
    if ctx.json:
        ctx.emit_json(data)
        return 0
    e = data["exam"]
    ctx.say(f"exam {e['id']}: {e['tasks']} tasks from {e['generators']} generators ({e['parts']['seen']} seen-generator, "
            f"{e['parts']['heldout']} held-out-generator), created {e['created_at'][:19]}Z")
    ctx.say(f"reserved generators: {', '.join(e['reserved']) or 'none'}; dropped duplicates: "
            f"{e['dropped'].get('training_duplicate', 0)} of training, {e['dropped'].get('exam_duplicate', 0)} of the exam")
    for run in data["runs"]:
        ctx.say(f"run {run['id'][:12]} {run['started_at'][:19]}Z {run['status']}: model {run['model']}, "
                f"after {run['training_attempts']} training attempts; "
                + ", ".join(f"{a} {f['passed']}/{f['n']}" for a, f in run["arms"].items()))
    if data["latest"]:
        for line in summary_lines(data["latest"]):
            ctx.say(line)
    return 0
