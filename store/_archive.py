"""The code archive: every passing solution as a file by skill, and the example for a task: the
solution whose task text is most like the task's (store/search.py: BM25 over title, prompt and
entry point), or without the task's text, the nearest in difficulty of the same skill."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

from store._base import StoreBase
from store.search import Index, word_list

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def archive_path(archive_dir: str | Path, skill: str, task_id: str) -> Path:
    """archive_dir/<skill>/<task_id>.py with path separators and the like made safe."""
    return Path(archive_dir) / _UNSAFE.sub("_", skill) / (_UNSAFE.sub("_", task_id) + ".py")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ArchiveMixin(StoreBase):
    def _archive(self, task_id: str, skill: str, difficulty: int, code: str, archive_dir: str | Path) -> str:
        """Inside a transaction: the file first (a rolled-back transaction leaves at most a file
        that the next pass of the task overwrites), then its `solutions` row."""
        path = archive_path(archive_dir, skill, task_id)
        with self.guard():
            write_atomic(path, code if code.endswith("\n") else code + "\n")
        self.insert("solutions", {"task_id": task_id, "skill": skill, "difficulty": int(difficulty),
                                  "path": str(path), "code": code, "created_at": self.now()}, upsert_pk="task_id")
        return str(path)

    def archive_solution(self, task_id: str, skill: str, difficulty: int, code: str,
                         archive_dir: str | Path) -> str:
        """Keep a passing solution: a .py file under archive_dir and a `solutions` row."""
        with self.tx():
            return self._archive(task_id, skill, difficulty, code, archive_dir)

    def similar_solution(self, skill: str, difficulty: int, exclude_task: str | None = None,
                         text: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The archived solution to show for a task, with its task's title, prompt and entry point.

        With `text` (the task's title, prompt, entry_point) the one whose task says most the same
        (BM25, then same skill, nearest difficulty, newest), None when no archived task shares
        a content word; without it, the same skill's nearest in difficulty (newest on ties).
        `exclude_task` and the exam's tasks are never candidates (the exam never archives; this
        holds even for a history edited by hand)."""
        text = text or {}
        query = word_list(text.get("title"), text.get("prompt"), text.get("entry_point"))
        if not query:
            return self._nearest_of_skill(skill, difficulty, exclude_task)
        index, rows = self._solution_index()
        exam = {r["id"] for r in self.rows("SELECT id FROM exam_tasks")}
        ranked = [(score, rows[key]) for score, key in index.search(query) if key != exclude_task and key not in exam]
        if not ranked:
            return None
        best = max(ranked, key=lambda sr: (sr[0], sr[1]["skill"] == skill,
                                          -abs(int(sr[1]["difficulty"] or 0) - int(difficulty)), sr[1]["created_at"]))
        found = {k: v for k, v in best[1].items() if k != "created_at"}
        return {**found, "score": best[0]}

    def _solution_index(self) -> tuple[Index, dict[str, dict[str, Any]]]:
        """The BM25 index of archived solutions' task texts, rebuilt when a solution was added
        (its mark: the newest rowid and the count, both read from the primary key's b-tree)."""
        mark = tuple(self.one("SELECT max(rowid) AS last, count(*) AS n FROM solutions").values())
        cached = getattr(self, "_search_cache", None)
        if cached is not None and cached[0] == mark:
            return cached[1], cached[2]
        rows = {r["task_id"]: r for r in self.rows(
            "SELECT s.task_id, s.skill, s.difficulty, s.code, s.created_at, t.title, t.prompt, t.entry_point "
            "FROM solutions s LEFT JOIN tasks t ON t.id = s.task_id ORDER BY s.created_at DESC, s.task_id")}
        index = Index.build((k, word_list(r["title"], r["prompt"], r["entry_point"])) for k, r in rows.items())
        self._search_cache = (mark, index, rows)
        return index, rows

    def _nearest_of_skill(self, skill: str, difficulty: int, exclude_task: str | None) -> dict[str, Any] | None:
        """The archived solution of the same skill nearest in difficulty (newest on ties).

        Index probes only (schema v8's solutions_near), so its cost does not grow with the
        archive: the nearest difficulty at or below, and at or above; then the newest solution
        at the nearer one (at either, when both are as near)."""
        d = int(difficulty)
        levels = []
        for cmp, order in (("<=", "DESC"), (">=", "ASC")):
            row = self.one(f"SELECT difficulty FROM solutions WHERE skill = ? AND difficulty {cmp} ? "
                           f"AND task_id IS NOT ? ORDER BY difficulty {order} LIMIT 1", [skill, d, exclude_task])
            if row is not None:
                levels.append(int(row["difficulty"]))
        if not levels:
            return None
        nearest = min(abs(level - d) for level in levels)
        found = [self.one("SELECT s.task_id, s.skill, s.difficulty, s.code, t.title, t.prompt, t.entry_point, "
                          "s.created_at FROM solutions s LEFT JOIN tasks t ON t.id = s.task_id "
                          "WHERE s.skill = ? AND s.difficulty = ? AND s.task_id IS NOT ? "
                          "ORDER BY s.created_at DESC LIMIT 1", [skill, level, exclude_task])
                 for level in sorted(set(levels)) if abs(level - d) == nearest]
        best = max((r for r in found if r is not None), key=lambda r: r["created_at"] or "", default=None)
        if best is not None:
            best.pop("created_at")
        return best
