"""Helpers for the operator tests: a history filled through the real store API."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from store import Store

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z
SETTINGS = {"model": "scripted-coder", "temperature": 0.0, "max_tokens": 256, "seed": 7,
            "url": "http://127.0.0.1:9/v1", "prompt_tokens_est": 321}  # the last two vary per attempt


class Clock:
    def __init__(self, start: float = START) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def simple_task(n: int, skill: str, difficulty: int) -> dict[str, Any]:
    return {"title": f"{skill} #{n}", "prompt": "def f(x):\n    ...\n", "skill": skill,
            "difficulty": difficulty, "entry_point": "f", "visible_tests": "assert candidate(1) == 1\n",
            "hidden_tests": "assert candidate(2) == 2\n", "reference": "def f(x):\n    return x\n"}


def attempt_and_score(store: Store, clock: Clock, *, passed: bool, total: float,
                      settings: dict[str, Any] | None = None, step_s: float = 60.0) -> str:
    """Lease the head of the queue, record one attempt and its verdict (which completes it); the task id."""
    lease = store.lease("builder-1", ttl_s=900)
    assert lease is not None, "queue unexpectedly empty"
    task = lease["task"]
    clock.t += step_s
    store.record_attempt({"id": lease["attempt_id"], "task_id": task["id"], "builder": "builder-1",
                          "lease_id": lease["lease_id"], "attempt_no": lease["attempt_no"],
                          "code": "def f(x):\n    return x\n",
                          "llm_settings": dict(settings or SETTINGS, prompt_tokens_est=int(clock.t) % 97),
                          "status": "passed" if passed else "failed"})
    store.record_score({"attempt_id": lease["attempt_id"], "task_id": task["id"], "total": total,
                        "passed": passed, "correctness": 1.0 if passed else 0.0}, lease_id=lease["lease_id"])
    return task["id"]


def fill(path: Path, runs: Iterable[tuple[str, int, bool, float]], clock: Clock | None = None) -> Clock:
    """One task per (skill, difficulty, passed, total), each attempted once, a minute apart."""
    clock = clock or Clock()
    with Store.open(path, clock=clock, max_attempts=1) as store:
        for n, (skill, difficulty, passed, total) in enumerate(runs):
            store.add_task(simple_task(n, skill, difficulty))
            attempt_and_score(store, clock, passed=passed, total=total)
    return clock


def improving_runs(skill: str = "strings", n: int = 30) -> list[tuple[str, int, bool, float]]:
    """A builder that fails early and passes later, on rising difficulty."""
    return [(skill, 1 + i * 5 // n, i >= n // 3, 0.2 + 0.7 * i / n) for i in range(n)]


class ModelServer:
    """A scripted OpenAI-compatible server on loopback: GET /v1/models lists `models`."""

    def __init__(self, models: list[str]) -> None:
        import http.server
        import json
        import threading

        listed = {"object": "list", "data": [{"id": m, "object": "model"} for m in models]}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                body = json.dumps(listed).encode() if self.path == "/v1/models" else b"{}"
                self.send_response(200 if self.path == "/v1/models" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
