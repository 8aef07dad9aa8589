"""The entries of the ops actors send each other on the bus: who sends each, to whom, its body,
its reply, the CLI command that uses it. The supervisor's control ops have their entries beside
their handlers (actors/control/), a plugin's beside its actors (the tests' echo ops: tests/testkinds.py).

`cli` among the senders is the operator (`cogloop`, or a test) through the control op `forward`:
admitted where an operator has a reason (adding and reading tasks, status, playing a builder's
or scorer's part to check the one after it), never for what only an actor may say (a verdict,
an attempt, the hidden tests, the supervisor's orders).
"""

from __future__ import annotations

from actors.protocol._registry import Op


BUS_OPS: list[Op] = [
    # --- memory -------------------------------------------------------------------------
    Op("task.add", "memory", "cli|trainer", {"task": "map"}, {"id": "str"}, "cogloop task add"),
    Op("task.add_many", "memory", "cli|trainer", {"tasks": "list"},
        {"ids": "list", "new": "list", "present": "list", "updated": "list", "errors": "list"}, "cogloop import",
        "add several; per-task errors; ids split into new, already present, and updated (not leased yet)"),
    Op("task.list", "memory", "cli", {"status?": "str", "source?": "str", "limit?": "int"},
        {"tasks": "list"}, "cogloop task list"),
    Op("task.show", "memory", "cli", {"id": "str"}, {"task": "map"}, "cogloop task show ID"),
    Op("task.cancel", "memory", "cli", {"id": "str"}, {"id": "str", "status": "str"},
        "cogloop task cancel ID"),
    Op("task.lease", "memory", "builder|cli", {"builder": "str", "ttl_s": "float", "reclaim?": "bool"},
        {"lease": "any"}, "", "the next task's public view with lease_id and attempt_id, or nil; "
        "reclaim (a builder's first lease since it started): its older leases are stale and requeued"),
    Op("task.renew", "memory", "builder", {"lease_id": "str", "ttl_s": "float"}, {"ok": "bool"}),
    Op("task.release", "memory", "builder", {"lease_id": "str", "reason?": "str"}, {"ok": "bool"},
        "", "give a held task back: without a reason (stop, pause) it counts toward nothing; with one "
        "it is lost work (store.max_lost) and an attempt.error event; ok false once the lease is gone"),
    Op("task.complete", "memory", "builder",
        {"lease_id": "str", "attempt_id": "str", "outcome": "str"}, {"task_status": "str"},
        "", "a no-op for a scored attempt (its verdict completed it); an unscored one is given up as "
        "lost work, whatever the outcome says; idempotent by attempt_id"),
    Op("task.private", "memory", "scorer", {"id": "str"}, {"task": "map"},
        "", "the whole task with hidden and edge tests; refused to anyone but the scorer"),
    Op("queue.stats", "memory", "trainer|cli", {"source?": "str", "open?": "bool"}, {"stats": "map"}, "cogloop wait",
       "counts by status and total; open: queued and leased only (a cost that does not grow with history)"),
    Op("attempt.record", "memory", "builder", {"attempt": "map"}, {"id": "str"},
        "", "idempotent by attempt id"),
    Op("score.record", "memory", "scorer", {"score": "map", "lease_id?": "str", "code?": "str"},
        {"id": "any", "recorded": "bool", "task_status": "str"},
        "", "the verdict: records the score and completes its attempt and task in one transaction "
        "(a pass archives `code`); recorded false (with a reason) when the task is already over"),
    Op("reflection.record", "memory", "builder", {"reflection": "map", "lesson_ids?": "list"}, {"id": "str"},
        "", "a lesson the model wrote joins its skill's lessons in trial; lesson_ids: accepted, ignored "
        "(the verdict credits lessons from the attempt's record)"),
    Op("lesson.top", "memory", "builder", {"skill": "str", "limit?": "int", "task_id?": "str", "share?": "float"},
        {"lessons": "list", "held": "list"}, "", "with task_id: the lessons for that task's prompt, trial ones "
        "by the random share (hash of task and lesson id), and the ids held back; without: the best not retired"),
    Op("archive.similar", "memory", "builder",
        {"skill": "str", "difficulty": "int", "exclude_task?": "str", "title?": "str", "prompt?": "str",
         "entry_point?": "str"}, {"example": "any"},
        "", "with the task's title/prompt/entry_point: the archived solution whose task says most the same "
        "(store/search.py); without: the same skill's nearest in difficulty"),
    Op("search.stats", "memory", "builder|cli", {"model?": "str"}, {"stats": "list"},
        "", "per (skill, difficulty, search) the scored attempts that ran it: n, passed, tokens "
        "(actors/builder/search.py); with model, that model's only"),
    Op("profile.snapshot", "memory", "trainer", {"profile": "map"}, {"id": "str"}),
    Op("profile.latest", "memory", "trainer|cli", {}, {"profile": "any"}),
    Op("scores.recent", "memory", "trainer|scorer|cli", {"skill?": "str", "limit?": "int"},
        {"scores": "list"}),
    Op("event.log", "memory", "*", {"kind": "str", "body": "map"}, {"id": "str"}),
    Op("event.record", "memory", "supervisor", {"events": "list"}, {"ids": "list", "errors": "list"},
        "", "the supervisor's outbox: events with their own id, ts, kind, actor, body, recorded once "
        "each; the ids in the reply are acknowledged"),
    Op("exam.create", "memory", "cli", {"exam": "map", "tasks": "list", "seal?": "bool"}, {"id": "str"},
        "cogloop exam create", "an exam's tasks, in batches; the last batch seals it (fixed from then on)"),
    Op("exam.run.start", "memory", "cli", {"run": "map"}, {"id": "str"}, "cogloop exam run",
        "a run of a sealed exam, pinned to one endpoint and model"),
    Op("exam.result", "memory", "cli", {"result": "map"}, {}, "cogloop exam run",
        "one task under one arm; never touches the training record"),
    Op("exam.run.finish", "memory", "cli", {"run_id": "str", "status": "str", "note?": "str"}, {},
        "cogloop exam run", "status done, stopped or failed"),
    Op("exam.guard", "memory", "trainer|cli", {}, {"guard": "map", "runs": "list"}, "",
        "generators and prompts training must not use; the exam's runs (for trainer.exam_every)"),
    # --- scorer ---------------------------------------------------------------------------
    Op("score.request", "scorer", "builder|cli",
        {"attempt_id": "str", "task_id": "str", "code": "str", "builder": "str", "lease_id?": "str"},
        {"score": "map", "recorded": "bool", "task_status": "str"},
        "", "grade a candidate on hidden and edge tests; Memory records the verdict (which completes "
        "the task); the trainer hears of recorded verdicts only"),
    # --- trainer --------------------------------------------------------------------------
    Op("trainer.observe", "trainer", "scorer|cli", {"score": "map"}, {},
        "", "a scored attempt: update the profile, top up the queue"),
    Op("trainer.status", "trainer", "cli", {}, {"profile": "map"}),
    # --- builder --------------------------------------------------------------------------
    Op("builder.status", "builder", "supervisor|cli", {}, {"status": "map"}, "cogloop status",
        "the builder's LLM url/model/state (ok, down: reason, waiting: why), current task, counts"),
    # --- the supervisor's LLM endpoints (served by actors/control/llm.py) --------------------
    Op("llm.assign", "supervisor", "builder|trainer", {"check?": "bool"},
       {"endpoint": "any", "ticket?": "str", "wait_s?": "float", "reason?": "str"},
       "", "an LLM endpoint for one request, least busy first: {url, model, api_key} and a ticket for its "
       "outcome; or endpoint nil, wait_s and the reason. check: is one free now (no ticket)"),
    Op("llm.done", "supervisor", "builder|trainer",
       {"ticket": "str", "ok": "bool", "kind?": "str", "error?": "str", "latency_s?": "float"}, {},
       "", "a tell: the outcome of an assigned request (the error's kind and the server's words)"),
    # --- every actor ----------------------------------------------------------------------
    Op("actor.stop", "*", "supervisor", {}, {}, "", "finish or release work, then exit"),
    Op("actor.pause", "*", "supervisor", {}, {}),
    Op("actor.resume", "*", "supervisor", {}, {}),
]
