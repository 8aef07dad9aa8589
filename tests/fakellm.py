"""A scripted OpenAI-compatible HTTP server on loopback, for tests and benchmarks.

    with FakeLLM(["```python\\ndef f():\\n    return 1\\n```", {"status": 500}]) as fake:
        client = LLMClient(LLMConfig(url=fake.url))
        ...
        assert fake.chat_requests[0]["messages"][-1]["content"] ...

It serves `GET /v1/models` and `POST /v1/chat/completions` (no streaming) with the stdlib
`http.server`, on 127.0.0.1 and a free port. Each chat request takes the next item of the
script; when the script is used up, `default` answers (an error 500 when it is None, so a
test that asks more than it scripted sees it). A script item is one of:

    "text"                               a completion with that content
    {"content": "text", "usage": {...}}  the same, with explicit token counts (and "model": the
                                         model the answer names, else the one asked for)
    {"status": 500, "body": {...}}       an HTTP error (500, 503, 429 ...); `retry_after` adds the header
    {"hang": 5.0}                        wait that long (or until `stop()`), then close without answering
    {"close": True}                      drop the connection without an answer
    callable(request_body) -> item       computed from the request (e.g. a correct solution)

`models_status` (default 200) makes `/v1/models` fail too. Every request received is kept in
`requests` ({"method", "path", "body"}) and every chat body in `chat_requests`, in order.
Token usage, when not given, is estimated as characters / 4.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable

Item = Any  # str | dict | Callable[[dict], str | dict]


def free_port() -> int:
    """A loopback port nobody listens on right now (for 'endpoint down' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeLLM:
    def __init__(self, script: Iterable[Item] = (), *, model: str = "fake-model",
                 default: Item | None = None, port: int = 0) -> None:
        self.script: deque[Item] = deque(script)
        self.model = model
        self.default = default
        self.models_status = 200
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.handle_error = self._handle_error  # type: ignore[method-assign]
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def _handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a builder killed -9) is no error of the server's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            ThreadingHTTPServer.handle_error(self._server, request, client_address)

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeLLM":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakellm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging handlers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeLLM":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- script ------------------------------------------------------------------------
    def push(self, *items: Item) -> None:
        with self._lock:
            self.script.extend(items)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next(self, body: dict[str, Any]) -> Item:
        with self._lock:
            item = self.script.popleft() if self.script else self.default
        if item is None:
            return {"status": 500, "body": {"error": {"message": "fakellm: script exhausted"}}}
        return item(body) if callable(item) else item

    def _completion(self, body: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        content = item["content"]
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        usage = item.get("usage") or {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(content) // 4}
        usage.setdefault("total_tokens", usage["prompt_tokens"] + usage["completion_tokens"])
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
                "model": item.get("model") or body.get("model") or self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": item.get("finish_reason", "stop")}],
                "usage": usage}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _record(self, body: Any) -> None:
                with fake._lock:
                    fake.requests.append({"method": self.command, "path": self.path, "body": body})

            def do_GET(self) -> None:
                self._record(None)
                if self.path.rstrip("/").endswith("/models"):
                    if fake.models_status != 200:
                        self._send(fake.models_status, {"error": {"message": "models unavailable"}})
                    else:
                        self._send(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                self._record(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                item = fake._next(body)
                if isinstance(item, str):
                    item = {"content": item}
                if "hang" in item:
                    fake._stopping.wait(float(item["hang"]))
                    self._drop()
                elif item.get("close"):
                    self._drop()
                elif "status" in item:
                    headers = {"Retry-After": str(item["retry_after"])} if "retry_after" in item else None
                    self._send(int(item["status"]), item.get("body") or {"error": {"message": "scripted error"}},
                               headers)
                else:
                    self._send(200, fake._completion(body, item))

        return Handler



def main(argv: list[str] | None = None) -> int:
    """`python tests/fakellm.py --port P [--default TEXT]`: serve until SIGTERM (the supervisor's
    `llm` child in tests, through `embedded.command`)."""
    import argparse
    import signal

    p = argparse.ArgumentParser(description="a scripted OpenAI-compatible server on loopback")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--model", default="fake-model")
    p.add_argument("--default", default="```python\ndef f():\n    return 1\n```",
                   help="the answer to every chat request")
    args = p.parse_args(argv)
    fake = FakeLLM(default=args.default, model=args.model, port=args.port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    fake.start()
    print(f"fakellm serving {fake.url}", flush=True)
    while not done.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
