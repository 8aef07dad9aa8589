"""What the history's tables and columns mean, as Datasette metadata (`metadata.json`).

    datasette HOME/history.db --metadata <(cogloop datasette --print-metadata) \\
        --setting truncate_cells_html 200          # or simply: cogloop datasette

`metadata()` describes every table, view and column of the current schema (a test fails when a
column is added without a line here), sorts each table newest first, offers facets, and names
`tasks.title` as the label Datasette shows where a score, reflection or attempt links to its
task (the foreign keys of schema version 4). Long text (prompts, code, tests) is cut by
Datasette's `truncate_cells_html` setting, which metadata cannot carry: SETTINGS holds it.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

DATABASE = "history"  # Datasette names a database after its file: history.db
SETTINGS = {"truncate_cells_html": 200, "default_page_size": 50}

# Columns that mean the same in every table and view that has them.
COMMON = {
    "id": "Unique id of the row (hex).",
    "task_id": "The task (links to tasks).",
    "attempt_id": "The attempt (links to attempts).",
    "title": "Short name of the task.",
    "skill": "The skill the task trains (strings, lists, math, ...).",
    "difficulty": "Difficulty of the task, 1 (easiest) to 10.",
    "created_at": "When the row was written (UTC, ISO-8601).",
    "builder": "The builder actor that made the attempt (builder-1, ...).",
    "attempt_no": "1 for a task's first attempt, 2 for its second, ...",
    "details": "JSON: the figures behind the row.",
    "source": "Where it came from.",
    "attempts": "How many scored attempts (verdicts) the task has had.",
    "max_attempts": "Scored attempts allowed before the task counts as failed.",
    "priority": "Higher is leased first (within user tasks, then within trainer tasks).",
    "leased_by": "The builder holding the task now, if leased.",
    "lease_expires_at": "When the current lease runs out (then the task is queued again).",
    "status": "queued, leased, passed, failed, error (ended for lost work, see error) or cancelled.",
    "passed": "Attempts whose hidden tests passed (the Scorer's verdict).",
    "pass_rate": "passed / attempts.",
    "avg_total": "Mean total score, 0 to 1.",
    "profile": "JSON: the Trainer's model of the builder (per skill: ability mu, uncertainty, trend).",
    "code": "The candidate's Python source.",
}

# table -> (description, sort column newest first, facets, its own column descriptions)
TABLES: dict[str, tuple[str, str | None, list[str], dict[str, str]]] = {
    "tasks": ("The task queue: each task's spec and where it stands.", "created_at", ["status", "source", "skill"], {
        "prompt": "What the builder sees: signature and docstring.",
        "entry_point": "The function the tests call.",
        "visible_tests": "Tests the builder may run while it works.",
        "hidden_tests": "Tests only the Scorer runs: they decide `passed`.",
        "edge_tests": "Extra hidden tests for robustness.",
        "reference": "A known-good solution (validates trainer tasks).",
        "constraints": "JSON: time_limit_s, memory_mb, forbidden_imports.",
        "source": "user, humaneval, trainer or llm.",
        "source_rank": "0 for user and HumanEval tasks (leased first), 1 for trainer and LLM tasks.",
        "meta": "JSON: where the task came from (e.g. the HumanEval problem id).",
        "lease_id": "The current lease, if leased.",
        "lost": "Attempts lost without a verdict (lease expired or reclaimed, work given back for a reason).",
        "error": "Why the task ended as error (too much work lost without a verdict), else empty.",
        "context": "Trusted helpers the tests call besides the candidate (run by the judge, never the candidate's copy).",
        "updated_at": "When the task last changed."}),
    "attempts": ("One row per lease of a task: what the builder asked the model, what it answered, and how its "
                 "own run on the visible tests went.", "started_at", ["status", "builder", "outcome"], {
        "lease_id": "The lease this attempt ran under.",
        "status": "The builder's verdict on the VISIBLE tests: passed, failed or error; running while it works; "
                  "expired or released when the lease ended without a result. The hidden-test verdict is "
                  "scores.passed.",
        "prompt": "The prompt sent to the model.",
        "response": "The model's answer.",
        "llm_settings": "JSON: model, temperature, max_tokens, seed, url, ...",
        "error": "Why the attempt errored, if it did.",
        "visible_passed": "Visible tests passed in the builder's last run.",
        "visible_total": "Visible tests in the task.",
        "repair_rounds": "Times the builder asked the model to fix its code.",
        "tokens_in": "Prompt tokens.",
        "tokens_out": "Completion tokens.",
        "llm_latency_s": "Seconds spent waiting for the model.",
        "started_at": "When the lease began (UTC).",
        "finished_at": "When the builder finished (UTC).",
        "outcome": "The verdict on this attempt: passed or failed (empty when it has none).",
        "completed_at": "When the verdict was recorded (UTC).",
        "lost": "Why the attempt ended without a verdict (lease expired, reclaimed, given back), else empty."}),
    "scores": ("The Scorer's grade of each submitted attempt, on the hidden and edge tests.", "created_at",
               ["skill", "passed", "difficulty"], {
        "correctness": "Share of hidden tests passed, 0 to 1.",
        "robustness": "Share of edge tests passed, 0 to 1.",
        "efficiency": "Speed against the reference, 0 to 1.",
        "elegance": "Size and complexity, 0 to 1.",
        "total": "Weighted total, 0 to 1 (weights in the [scorer] configuration).",
        "passed": "1 when every hidden test passed (the Scorer's verdict), else 0."}),
    "reflections": ("What the builder concluded after each attempt.", "created_at", ["skill", "passed"], {
        "passed": "1 if the attempt passed its hidden tests.",
        "strengths": "JSON list: what went well.",
        "weaknesses": "JSON list: what went wrong.",
        "lesson": "One line to remember next time (joins lessons when the model wrote it; a rule-based one stays here)."}),
    "lessons": ("Lessons per skill: in trial until their effect is known, then proven or retired.", "created_at",
                ["skill", "source", "state"], {
        "id": "Lesson number.",
        "text": "The lesson, as put in prompts.",
        "source": "Where it came from: reflection (the model's own words) or mined (a pattern in its failures).",
        "uses": "Judged attempts whose prompt showed it.",
        "passes": "Of those, attempts that passed.",
        "state": "trial (shown in a random share of eligible prompts), proven (always shown), retired (never).",
        "pattern": "For a mined lesson: the failure pattern (one lesson per skill and pattern).",
        "evidence": "For a mined lesson: JSON, how many failed attempts show the pattern, some of their ids.",
        "shown": "Judged attempts since schema v9 whose prompt showed it (its lesson_exposures with shown 1).",
        "shown_passes": "Of those, attempts that passed.",
        "held": "Judged attempts where it was eligible but held back by the random share.",
        "held_passes": "Of those, attempts that passed."}),
    "lesson_exposures": ("Per judged attempt, each lesson eligible for its prompt: shown or held back, and the "
                         "verdict (a lesson's effect = pass rate shown - held back).", "created_at",
                         ["lesson_id", "shown", "passed"], {
        "attempt_id": "The judged attempt (links to attempts).",
        "lesson_id": "The lesson (links to lessons).",
        "shown": "1: in the prompt; 0: eligible but held back by the random share.",
        "passed": "1 if the attempt passed its hidden tests."}),
    "skills": ("Every skill a task has named.", "created_at", [], {
        "name": "The skill.",
        "description": "What it covers (may be empty).",
        "created_at": "When its first task arrived (UTC)."}),
    "profile": ("The Trainer's model of the builder over time: the latest row is current, older rows about a "
                "minute apart.", "created_at", [], {}),
    "events": ("The system log: state changes, restarts, errors.", "ts", ["kind", "actor"], {
        "ts": "When it happened (UTC).",
        "kind": "What happened (child.restart, lease.expired, ...).",
        "actor": "Who reported it.",
        "body": "JSON: the details."}),
    "solutions": ("The latest passing solution of each task (also in HOME/code_archive/).", "created_at",
                  ["skill"], {
        "task_id": "The task solved (links to tasks).",
        "path": "The file in HOME/code_archive/SKILL/TASK.py."}),
    # the held-out exam (docs/exam.md): apart from the training record above
    "exams": ("The held-out exam: fixed once sealed, never trained on (docs/exam.md).", "created_at", [], {
        "sealed_at": "When its last tasks were stored: from then on it never changes.",
        "spec": "JSON: tasks, difficulties, skills, heldout_share, seed.",
        "reserved": "JSON list: generators kept for the exam; the Trainer never sets them.",
        "dropped": "JSON: candidates dropped as exact duplicates (of training, of the exam)."}),
    "exam_tasks": ("The exam's tasks, whole (hidden tests included), in their order.", None, ["part", "skill"], {
        "exam_id": "The exam (links to exams).",
        "id": "The task's id within its exam (exam-0001, ...).",
        "position": "Its place in the exam's order (a seeded shuffle).",
        "generator": "The bank function it comes from (skill/entry_point), or humaneval/ID.",
        "part": "seen: a generator training also draws from; heldout: one reserved for the exam.",
        "prompt_key": "Hash of the whitespace-normalised prompt (the duplicate check).",
        "task": "JSON: the whole task."}),
    "exam_runs": ("Runs of the exam: arms side by side on one endpoint and model.", "started_at",
                  ["status", "model"], {
        "exam_id": "The exam (links to exams).",
        "started_at": "When the run started (UTC).",
        "finished_at": "When it ended (UTC), empty while running.",
        "status": "running, done, stopped (Ctrl-C, SIGTERM, or its process gone) or failed.",
        "arms": "JSON: each arm's name and strategy.",
        "endpoint": "The model server's URL.",
        "model": "The model the run was pinned to.",
        "settings": "JSON: temperature, max_tokens, seed, prompt budget.",
        "training_attempts": "Scored training attempts when the run started (the learning curve's x).",
        "tasks": "Exam tasks the run covers.",
        "pid": "The process that ran it.",
        "note": "Why it stopped or failed."}),
    "exam_results": ("One exam task under one arm in one run (nothing here is training).", "created_at",
                     ["arm", "passed"], {
        "run_id": "The run (links to exam_runs).",
        "exam_task_id": "The exam task.",
        "arm": "plain, loop, nomemory, repair, lessons, examples, sampling or plain@k.",
        "arm_key": "The cache key: exam, arm behaviour, model and settings.",
        "passed": "1 when every hidden test passed (graded like the Scorer grades).",
        "correctness": "Share of hidden tests passed, 0 to 1.",
        "status": "The visible-test result of the submitted candidate: passed, failed or error.",
        "category": "Why it failed (syntax_error, exception:NameError, wrong_answer, ...).",
        "visible_passed": "Visible tests passed.",
        "visible_total": "Visible tests in the task.",
        "repair_rounds": "Repair rounds used.",
        "samples": "Candidates drawn.",
        "lessons": "Lessons in the prompt.",
        "example_task": "The archived task whose solution was shown, if any.",
        "example_relevance": "Its relevance to this task, 0 to 1.",
        "tokens_in": "Prompt tokens (every call of the arm).",
        "tokens_out": "Completion tokens.",
        "llm_latency_s": "Seconds spent waiting for the model.",
        "wall_s": "Seconds for the task under this arm.",
        "endpoint": "The model server's URL.",
        "model": "The model that answered.",
        "cached_from": "The run whose answer was reused (memory-independent arms), else empty.",
        "error": "What went wrong on the visible tests, if anything."}),
}

VIEWS: dict[str, tuple[str, dict[str, str]]] = {
    "queue": ("Tasks waiting or leased, in the order builders lease them (= cogloop history queue).", {}),
    "latest_profile": ("The newest profile snapshot.", {}),
    "skill_pass_rate": ("Per skill per day: attempts scored, passed, pass rate (= cogloop history daily).", {
        "day": "UTC date.", "attempts": "Attempts scored that day.", "avg_difficulty": "Mean difficulty."}),
    "skill_progress": ("Per skill: attempts scored, passed, pass rate, hardest difficulty passed "
                       "(= cogloop history progress).", {
        "attempts": "Attempts scored.", "max_difficulty_passed": "Hardest difficulty passed.",
        "last_scored_at": "Latest score (UTC)."}),
    "lesson_effects": ("Per lesson: state and the randomised comparison so far (= cogloop history lessons).", {
        "state": "trial, proven or retired.",
        "text": "The lesson.",
        "shown": "Judged attempts whose prompt showed it.",
        "shown_pass_rate": "Their pass rate.",
        "held": "Judged attempts where it was eligible but held back by the random share.",
        "held_pass_rate": "Their pass rate.",
        "effect": "shown_pass_rate - held_pass_rate (empty until both sides have an attempt)."}),
    "recent_attempts": ("Attempts newest first with their task and score (= cogloop history recent).", {
        "id": "The attempt.",
        "visible_status": "The builder's verdict on the VISIBLE tests (attempts.status).",
        "score": "The Scorer's total, 0 to 1 (empty until scored).",
        "hidden_passed": "1 when the HIDDEN tests passed (scores.passed); empty until scored.",
        "repair_rounds": "Times the builder asked the model to fix its code.",
        "llm_latency_s": "Seconds spent waiting for the model.",
        "started_at": "When the lease began (UTC).", "finished_at": "When the builder finished (UTC)."}),
}


def schema_columns() -> dict[str, list[str]]:
    """{table or view: its columns} of the current schema (the migrations, run in memory)."""
    from store.schema import MIGRATIONS

    db = sqlite_utils.Database(memory=True)
    for migration in MIGRATIONS:
        migration(db)
    return {name: list(db[name].columns_dict) for name in db.table_names() + db.view_names()}


def column_description(table: str, column: str) -> str | None:
    """What a column means: its table's own line, else the common one."""
    own = TABLES[table][3] if table in TABLES else VIEWS[table][1] if table in VIEWS else {}
    return own.get(column) or COMMON.get(column)


def metadata(title: str = "cogloop history") -> dict[str, Any]:
    """Datasette metadata for HOME/history.db: descriptions of every table, view and column,
    sort order (newest first), facets, and the label of a task."""
    tables: dict[str, Any] = {}
    for name, columns in schema_columns().items():
        description = TABLES[name][0] if name in TABLES else VIEWS[name][0] if name in VIEWS else ""
        entry: dict[str, Any] = {"description": description,
                                 "columns": {c: d for c in columns if (d := column_description(name, c))}}
        if name in TABLES:
            _, sort, facets, _ = TABLES[name]
            if sort:
                entry["sort_desc"] = sort
            if facets:
                entry["facets"] = facets
        if name == "tasks":
            entry["label_column"] = "title"
        tables[name] = entry
    return {"title": title,
            "description": "Everything a cogloop daemon recorded: tasks, attempts, scores, reflections, lessons, "
                           "the Trainer's profile and the system log (docs/store.md).",
            "databases": {DATABASE: {"tables": tables}}}
