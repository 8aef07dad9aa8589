"""The code archive: every passing solution as a file by skill, and the nearest example."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from store._base import StoreBase

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

    def similar_solution(self, skill: str, difficulty: int, exclude_task: str | None = None) -> dict[str, Any] | None:
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
