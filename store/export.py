"""`cogloop export` / `cogloop import tasks`: the JSON memory layout of the original plan.

    DIR/memory/core/builder_profile.json   latest profile snapshot
    DIR/memory/core/score_log.json         every score, oldest first
    DIR/memory/core/skill_map.json         per skill: progress, task counts, top lessons
    DIR/memory/core/task_queue.json        every task (full spec + state); importable
    DIR/memory/core/system_log.json        the latest events, oldest first
    DIR/memory/advanced/                   lessons.json (state, comparison counts, effect), reflections.json
    DIR/memory/task_memory/<task>.json     one task with its attempts, scores, reflections
    DIR/memory/code_archive/<skill>/<task>.py   passing solutions
    DIR/memory/logs/                       copies of HOME/logs/*

The export reads only (a read-only open works while the daemon writes). `task_queue.json`
holds hidden tests and references: it is the operator's backup, never a builder's input.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from store._archive import _UNSAFE, write_atomic
from store._base import loads
from store._store import Store
from store._tasks import STATE_FIELDS, task_from_row
from store.errors import TaskFileError
from store.taskspec import FIELDS, load_task_file

QUEUE_FILE_VERSION = 1
MAX_EVENTS = 10_000


def _dump(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def _skill_map(store: Store) -> dict[str, Any]:
    skills: dict[str, Any] = {r["name"]: {"tasks": {}} for r in store.rows("SELECT name FROM skills ORDER BY name")}
    for r in store.rows("SELECT skill, status, count(*) AS n FROM tasks GROUP BY skill, status"):
        skills.setdefault(r["skill"], {"tasks": {}})["tasks"][r["status"]] = r["n"]
    for r in store.rows("SELECT * FROM skill_progress"):
        skills.setdefault(r["skill"], {"tasks": {}})["scores"] = {k: v for k, v in r.items() if k != "skill"}
    for name, entry in skills.items():
        entry["lessons"] = [l["text"] for l in store.top_lessons(name, 5)]
    return skills


def _task_memory(store: Store, out: Path) -> int:
    written = 0
    for row in store.rows("SELECT DISTINCT task_id FROM attempts ORDER BY task_id"):
        tid = row["task_id"]
        attempts = store.rows("SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt_no, started_at", [tid])
        for a in attempts:
            a["llm_settings"] = loads(a["llm_settings"], {})
        _dump(out / f"{_UNSAFE.sub('_', tid)}.json", {
            "task": store.get_task(tid),
            "attempts": attempts,
            "scores": store.rows("SELECT * FROM scores WHERE task_id = ? ORDER BY created_at", [tid]),
            "reflections": store.rows("SELECT * FROM reflections WHERE task_id = ? ORDER BY created_at", [tid]),
        })
        written += 1
    return written


def export_memory(store: Store, dest: str | Path, home: str | Path | None = None) -> dict[str, Any]:
    """Write DIR/memory/ from the database; returns what was written (counts by file)."""
    mem = Path(dest) / "memory"
    core = mem / "core"
    with store.guard():
        for sub in ("core", "advanced", "task_memory", "code_archive", "logs"):
            (mem / sub).mkdir(parents=True, exist_ok=True)
    exported_at = store.now()
    tasks = [task_from_row(r) for r in store.rows("SELECT * FROM tasks ORDER BY created_at, rowid")]
    scores = store.rows("SELECT * FROM scores ORDER BY created_at, rowid")
    events = list(reversed(store.rows("SELECT * FROM events ORDER BY ts DESC, rowid DESC LIMIT ?", [MAX_EVENTS])))
    for e in events:
        e["body"] = loads(e["body"], {})
    with store.guard():
        _dump(core / "builder_profile.json", {"exported_at": exported_at, "profile": store.latest_profile()})
        _dump(core / "score_log.json", {"exported_at": exported_at, "scores": scores})
        _dump(core / "skill_map.json", {"exported_at": exported_at, "skills": _skill_map(store)})
        _dump(core / "task_queue.json", {"version": QUEUE_FILE_VERSION, "exported_at": exported_at, "tasks": tasks})
        _dump(core / "system_log.json", {"exported_at": exported_at, "events": events})
        _dump(mem / "advanced" / "lessons.json", store.lesson_report())  # with state, counts and effect
        _dump(mem / "advanced" / "reflections.json", store.rows("SELECT * FROM reflections ORDER BY created_at"))
        task_files = _task_memory(store, mem / "task_memory")
        solutions = store.rows("SELECT task_id, skill, code FROM solutions ORDER BY task_id")
        for s in solutions:
            code = s["code"] if s["code"].endswith("\n") else s["code"] + "\n"
            write_atomic(mem / "code_archive" / _UNSAFE.sub("_", s["skill"]) / f"{_UNSAFE.sub('_', s['task_id'])}.py", code)
        logs = _copy_logs(Path(home) / "logs", mem / "logs") if home else 0
    return {"dir": str(mem), "tasks": len(tasks), "scores": len(scores), "events": len(events),
            "task_memory": task_files, "solutions": len(solutions), "logs": logs}


def _copy_logs(src: Path, dst: Path) -> int:
    if not src.is_dir():
        return 0
    copied = 0
    for f in sorted(src.iterdir()):
        if f.is_file():
            shutil.copy2(f, dst / f.name)
            copied += 1
    return copied


def tasks_from_queue_file(path: str | Path) -> list[Any]:
    """The tasks of a task_queue.json (or any task file), state fields dropped: they come back
    as queued tasks. Entries that are not maps are passed on for validation to report."""
    tasks = load_task_file(path)
    if not isinstance(tasks, list):
        raise TaskFileError(f"{path}: expected a 'tasks' list")
    return [{k: v for k, v in t.items() if k not in STATE_FIELDS or k in FIELDS} if isinstance(t, dict) else t
            for t in tasks]
