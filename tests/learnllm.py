"""A scripted learning-sensitive model: it answers a task correctly only when its prompt holds
a relevant solved example (the archived solution of a task with the same entry point, i.e.
the same generator with other constants), a given lesson, or when the task is one it "knows"
anyway (a fixed third of all prompts, by hash). Otherwise it answers a function of the right
name that returns None. Repair feedback never helps it (like SmolLM2-135M).

    model = LearningModel(tasks, lesson=("strings", "Use s[::-1] to reverse."))
    with FakeLLM(default=model) as fake: ...

So with memory off an exam arm can only match one plain try, and with memory on it gains
exactly where training archived a solution of the same generator (the seen-generator part),
never on generators training never drew from (the held-out part). `model.shown` keeps every
example entry point the model was shown, per task entry point.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable, Mapping

from actors.builder.reflect import REFLECT_SYSTEM

EXAMPLE_HEAD = "A solved example of a similar task"
_FENCE = re.compile(r"```python\n(.*?)```", re.S)
_DEF = re.compile(r"^def (\w+)\(", re.M)


def knows(prompt: str) -> bool:
    """The model's own knowledge: a fixed third of all prompts."""
    return int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 3 == 0


class LearningModel:
    def __init__(self, tasks: Iterable[Mapping[str, Any]], *, lesson: tuple[str, str] | None = None,
                 base: Any = knows) -> None:
        self.tasks = list(tasks)
        self.lesson = lesson  # (skill, text): a prompt holding `text` solves tasks of `skill`
        self.base = base
        self.shown: list[tuple[str, str]] = []  # (task entry point, example entry point)
        self.calls = 0

    def add(self, tasks: Iterable[Mapping[str, Any]]) -> None:
        self.tasks.extend(tasks)

    def watch(self, db_path: Any) -> "LearningModel":
        """Also know every task of this history (training and exam), read again on a miss."""
        self.db_path = db_path
        return self

    def _reload(self) -> None:
        from store import Store

        path = getattr(self, "db_path", None)
        if path is None:
            return
        with Store.open(path, readonly=True) as s:
            found = [dict(r, meta={}) for r in s.rows("SELECT prompt, entry_point, skill, reference FROM tasks")]
            found += [t["task"] for e in s.exams() for t in s.exam_tasks(e["id"])]
        self.tasks = found

    def _task(self, text: str) -> Mapping[str, Any] | None:
        # The longest matching prompt wins (an example's task text may hold another prompt).
        found = [t for t in self.tasks if str(t["prompt"]).strip() and str(t["prompt"]).strip() in text]
        return max(found, key=lambda t: len(str(t["prompt"])), default=None)

    def _example_entry(self, first_user: str) -> str | None:
        if EXAMPLE_HEAD not in first_user:
            return None
        section = first_user.split(EXAMPLE_HEAD, 1)[1]
        block = _FENCE.search(section)
        names = _DEF.findall(block.group(1)) if block else []
        return names[0] if names else None

    def __call__(self, body: Mapping[str, Any]) -> str:
        self.calls += 1
        msgs = body.get("messages") or []
        if msgs and msgs[0].get("content") == REFLECT_SYSTEM:
            return json.dumps({"strengths": "tried", "weaknesses": "unsure", "lesson": "Read the task twice."})
        first_user = next((m["content"] for m in msgs if m.get("role") == "user"), "")
        task = self._task(first_user)
        if task is None:
            self._reload()
            task = self._task(first_user)
        if task is None:
            return "```python\ndef unknown():\n    return None\n```"
        entry = str(task["entry_point"])
        shown = self._example_entry(first_user)
        if shown:
            self.shown.append((entry, shown))
        lesson_ok = bool(self.lesson and task.get("skill") == self.lesson[0] and self.lesson[1] in first_user)
        if shown == entry or lesson_ok or self.base(str(task["prompt"])):
            return f"```python\n{str(task['reference']).strip()}\n```"
        return f"```python\ndef {entry}(*args):\n    return None\n```"
