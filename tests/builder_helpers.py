"""Stand-ins for the builder's unit tests: an in-process test runner (for scripted, trusted
code only — the real sandbox is used by the integration tests) and an in-memory Memory/Scorer
answering the builder's asks the way the real actors do."""

from __future__ import annotations

import ast
import uuid
from typing import Any, Callable


def inproc_run_tests(code: str, tests: str, entry_point: str) -> dict[str, Any]:
    """A TestReport dict for trusted code: one test per top-level assert."""
    ns: dict[str, Any] = {}
    try:
        exec(compile(code, "candidate", "exec"), ns)
        ns["candidate"] = ns[entry_point]
    except Exception as exc:  # import-time failure: every test fails with it
        err = f"{type(exc).__name__}: {exc}"
        total = len(ast.parse(tests).body)
        return {"passed": 0, "failed": total, "total": total, "all_passed": False,
                "tests": [{"name": f"test_{i}", "passed": False, "error": err} for i in range(total)],
                "run": {"status": "error", "stderr": err}}
    results = []
    for i, stmt in enumerate(ast.parse(tests).body):
        try:
            exec(compile(ast.Module([stmt], []), "tests", "exec"), ns)
            results.append({"name": f"test_{i}", "passed": True, "error": ""})
        except Exception as exc:
            results.append({"name": f"test_{i}", "passed": False,
                            "error": f"{type(exc).__name__}: {exc} in {ast.unparse(stmt)}"})
    passed = sum(r["passed"] for r in results)
    return {"passed": passed, "failed": len(results) - passed, "total": len(results),
            "all_passed": passed == len(results), "tests": results, "run": {"status": "ok", "stderr": ""}}


class FakeMemory:
    """Answers task.lease / lesson.top / archive.similar / search.stats / attempt.record /
    score.request / reflection.record / task.release from plain lists, recording every ask. A score.request is
    the verdict, as with the real Scorer and Memory: it completes the lease (`completed`), and a
    release after it finds nothing to give back."""

    def __init__(self, tasks: list[dict[str, Any]], lessons: list[dict[str, Any]] | None = None,
                 hidden_pass: bool | Callable[[str], bool] = True, example: dict[str, Any] | None = None) -> None:
        self.queue = list(tasks)
        self.lessons = lessons or []
        self.example = example  # what archive.similar answers
        self.hidden_pass = hidden_pass
        self.asks: list[tuple[str, str, dict]] = []
        self.leases: dict[str, dict] = {}
        self.attempts: list[dict] = []
        self.tasks: dict[str, dict] = {}  # leased, by id
        self.reflections: list[dict] = []
        self.completed: list[dict] = []
        self.released: list[str] = []
        self.release_reasons: list[str] = []

    def ask(self, to: str, op: str, body: dict, timeout: float = 30.0) -> dict:
        self.asks.append((to, op, body))
        if op == "task.lease":
            if not self.queue:
                return {"lease": None}
            task = self.queue.pop(0)
            self.tasks[task["id"]] = task
            lease = {"lease_id": uuid.uuid4().hex, "attempt_id": uuid.uuid4().hex, "attempt_no": 1,
                     "expires_at": "", "task": task}
            self.leases[lease["lease_id"]] = lease
            return {"lease": lease}
        if op == "task.release":
            self.released.append(body["lease_id"])
            self.release_reasons.append(body.get("reason", ""))
            lease = self.leases.pop(body["lease_id"], None)
            if lease is not None:
                self.queue.insert(0, lease["task"])
            return {"ok": lease is not None}
        if op == "task.renew":
            return {"ok": body["lease_id"] in self.leases}
        if op == "lesson.top":
            return {"lessons": self.lessons[: body.get("limit", 3)]}
        if op == "archive.similar":
            return {"example": self.example}
        if op == "search.stats":
            return {"stats": self.search_stats(body.get("model"))}
        if op == "attempt.record":
            self.attempts.append(body["attempt"])
            return {"id": body["attempt"]["id"]}
        if op == "score.request":
            hidden = self.hidden_pass(body["code"]) if callable(self.hidden_pass) else self.hidden_pass
            ok = bool(hidden) and bool(body["code"])
            self.completed.append({"lease_id": body["lease_id"], "attempt_id": body["attempt_id"],
                                   "outcome": "passed" if ok else "failed"})
            self.leases.pop(body["lease_id"], None)
            return {"score": {"attempt_id": body["attempt_id"], "passed": ok, "total": 1.0 if ok else 0.0},
                    "recorded": True, "task_status": "passed" if ok else "failed"}
        if op == "reflection.record":
            self.reflections.append(dict(body["reflection"], lesson_ids=body.get("lesson_ids")))
            return {"id": body["reflection"]["id"]}
        raise AssertionError(f"unexpected ask {to} {op}")

    def search_stats(self, model: str | None = None) -> list[dict[str, Any]]:
        """store.search_stats over the attempts recorded here and their verdicts."""
        verdicts = {c["attempt_id"]: c["outcome"] == "passed" for c in self.completed}
        rows: dict[tuple, dict[str, Any]] = {}
        for a in self.attempts:
            settings = a.get("llm_settings") or {}
            if a["id"] not in verdicts or not settings.get("search") or (model and settings.get("model") != model):
                continue
            t = self.tasks[a["task_id"]]
            r = rows.setdefault((t["skill"], t["difficulty"], settings["search"]), {
                "skill": t["skill"], "difficulty": t["difficulty"], "search": settings["search"],
                "n": 0, "passed": 0, "tokens": 0})
            r["n"] += 1
            r["passed"] += verdicts[a["id"]]
            r["tokens"] += a["tokens_in"] + a["tokens_out"]
        return list(rows.values())
