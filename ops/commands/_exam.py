"""The imperative shell around actors/exam for `cogloop exam`: the endpoint, the sandbox, the
grader, read access to memory, and a sink that writes the exam tables through Memory when a
daemon runs (else straight into the store), like every other write command."""

from __future__ import annotations

import contextlib
import dataclasses
import time
import uuid
from typing import Any, Iterator, Mapping

from ops.commands._store import open_for_read, open_for_write
from ops.commands._write import memory_op
from ops.context import Context
from ops.ground.errors import CogloopError

BATCH = 20  # exam tasks per exam.create message: far below the bus's message limit


def _open(ctx: Context):
    """The history for `exam create` and `exam run`, which write: a home without one gets it
    (like `task add`); an existing one is read read-only (a daemon may be writing)."""
    if ctx.home.db.exists():
        return open_for_read(ctx)
    ctx.home.ensure()
    return open_for_write(ctx)


def training_seen(ctx: Context) -> tuple[set[str], set[str]]:
    """Prompt keys and generators of every task training has had."""
    from actors.exam.guard import generator_of, prompt_key

    with _open(ctx) as store:
        seen = store.training_tasks_seen()
    return {prompt_key(t["prompt"]) for t in seen}, {generator_of(t) for t in seen}


def write_exam(ctx: Context, draft: Any) -> str:
    """exam.create in batches; the last one seals the exam."""
    exam_id = "exam-" + uuid.uuid4().hex[:12]
    head = {"id": exam_id, "spec": draft.spec.to_dict(), "reserved": draft.reserved, "dropped": draft.dropped}
    chunks = [draft.tasks[i:i + BATCH] for i in range(0, len(draft.tasks), BATCH)] or [[]]
    for i, chunk in enumerate(chunks):
        memory_op(ctx, "exam.create", {"exam": head, "tasks": chunk, "seal": i == len(chunks) - 1})
    return exam_id


class Sink:
    """Where a run's rows go (memory ops), and where cached results come from (a read)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def start(self, run: dict[str, Any]) -> None:
        memory_op(self.ctx, "exam.run.start", {"run": run})

    def result(self, row: dict[str, Any]) -> None:
        memory_op(self.ctx, "exam.result", {"result": row})

    def finish(self, run_id: str, status: str, note: str) -> None:
        memory_op(self.ctx, "exam.run.finish", {"run_id": run_id, "status": status, "note": note})

    def cached(self, arm_key: str) -> Mapping[str, Mapping[str, Any]]:
        with open_for_read(self.ctx) as store:
            return store.cached_exam_results(arm_key)


class MemoryReader:
    """Lessons, archived solutions and what each search earned, as training left them; read
    only, one connection."""

    def __init__(self, ctx: Context) -> None:
        self.store = open_for_read(ctx)
        self.share = float(ctx.config.builder.lesson_share)

    def lessons(self, skill: str, limit: int, task_id: str):
        """As the daemon's builder would see them for this task: trial lessons by their share
        hash on the exam task id, proven ones always, retired never. Read only: the exam never
        adds to a lesson's record."""
        found = self.store.choose_lessons(skill, limit, task_id, self.share)["lessons"]
        return lambda: found

    def similar(self, skill: str, difficulty: int, task_id: str, text: Mapping[str, str]):
        return self.store.similar_solution(skill, difficulty, exclude_task=task_id, text=text)

    def search_stats(self, model: str | None) -> list[dict[str, Any]]:
        return self.store.search_stats(model)

    def close(self) -> None:
        self.store.close()


def sandbox_tools(ctx: Context):
    """(run_tests, grade) with the configured limits and scorer weights."""
    from actors.scorer.grade import grade
    from actors.scorer.metrics import weights_from
    from sandbox import Limits, run_tests

    limits = Limits.from_config(ctx.config.sandbox)
    weights = weights_from(ctx.config.scorer)

    def visible(code: str, tests: str, entry_point: str) -> dict[str, Any]:
        return run_tests(code, tests, entry_point=entry_point, limits=limits).to_dict()

    return visible, (lambda task, code: grade(task, code, weights=weights, limits=limits))


def model_of(llm: Any, sleep: Any = time.sleep) -> str:
    """The model the run asks for, as the client chooses it from the server's listing (skipping
    models that cannot chat; `name` matches `name:latest`). An endpoint that is down, refuses the
    key or lacks the model is one line, after `llm.retries` more looks a second apart."""
    from actors.llm import LLMError

    left = llm.cfg.retries
    while True:
        try:
            llm.ready()
            return str(llm.model)
        except LLMError as exc:
            if left <= 0 or exc.kind in ("auth", "model_not_found", "not_chat"):
                raise CogloopError(f"the LLM endpoint {llm.url or '(none)'}: {exc}") from None
        left -= 1
        sleep(1.0)


@contextlib.contextmanager
def endpoint(ctx: Context, say: Any = lambda text: None) -> Iterator[Any]:
    """An LLMClient for the run: the configured URL; else the daemon's embedded model; else an
    embedded llama.cpp server started for this run and stopped after it."""
    from actors.llm import LLMClient, read_endpoint, running_embedded
    from ops import client as control
    from ops.ground.config import llm_endpoints

    cfg = ctx.config
    configured = llm_endpoints(cfg)
    if configured:  # the first configured server (with its model and key): one model per run
        first = configured[0]
        yield LLMClient(dataclasses.replace(cfg.llm, model=first["model"], api_key=first["api_key"]), url=first["url"])
        return
    if control.daemon_running(ctx.home.root) and read_endpoint(ctx.home.run):
        yield LLMClient(cfg.llm, run_dir=ctx.home.run)
        return
    say("starting the embedded model for this run")
    with contextlib.ExitStack() as stack:
        try:
            url, _model = stack.enter_context(running_embedded(cfg))
        except CogloopError:
            raise  # no model installed, a bad embedded.command: already one clear line
        except Exception as exc:
            raise CogloopError(f"the embedded model did not start: {exc}") from None
        yield LLMClient(cfg.llm, url=url)


def reap_abandoned(ctx: Context) -> int:
    """Runs still marked running whose process is gone (killed with their Trainer, say) are
    marked stopped; their results so far stay."""
    import psutil

    with open_for_read(ctx) as store:
        stale = [r for r in store.exam_runs() if r["status"] == "running"
                 and not (r.get("pid") and psutil.pid_exists(int(r["pid"])))]
    for r in stale:
        memory_op(ctx, "exam.run.finish", {"run_id": r["id"], "status": "stopped",
                                           "note": "abandoned: its process is gone"})
    return len(stale)


def the_exam(ctx: Context) -> dict[str, Any] | None:
    with _open(ctx) as store:
        exam = store.exam()
        if exam is None:
            return None
        return {**exam, "tasks": store.exam_tasks(exam["id"]), "training_attempts": store.training_attempts()}
