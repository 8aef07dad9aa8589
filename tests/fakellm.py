"""A scripted OpenAI-compatible HTTP server on loopback, for tests and benchmarks.

    with FakeLLM(["```python\\ndef f():\\n    return 1\\n```", {"status": 500}]) as fake:
        client = LLMClient(LLMConfig(url=fake.url))
        ...
        assert fake.chat_requests[0]["messages"][-1]["content"] ...

It serves `GET /v1/models` and `POST /v1/chat/completions` (plain or streamed as server-sent
events) with the stdlib `http.server`, on 127.0.0.1 and a free port. Each chat request takes
the next item of the script; when the script is used up, `default` answers (an error 500 when
it is None, so a test that asks more than it scripted sees it). A script item is one of:

    "text"                               a completion with that content
    {"content": "text", "usage": {...}}  the same, with explicit token counts (and "model": the
                                         model the answer names, else the one asked for)
    {"status": 500, "body": {...}}       an HTTP error (500, 503, 429 ...); `retry_after` adds the header;
                                         `text` sends that raw body instead of JSON
    {"hang": 5.0}                        wait that long (or until `stop()`), then close without answering
    {"close": True}                      drop the connection without an answer
    callable(request_body) -> item       computed from the request (e.g. a correct solution)

How the server behaves, to stand in for real ones (LM Studio, Ollama, llama.cpp, vLLM):

    models=[...]          what `/v1/models` lists: ids, or dicts served as they are (extra keys such as
                          LM Studio's "type": "embeddings"); default [model]
    embedding_models=...  ids a chat is refused for (400 "... is not a chat model"), like an embedding
                          model picked by mistake
    strict_models=True    a chat for a model not listed gets 404 "model ... not found" (Ollama)
    api_key="k"           every request needs `Authorization: Bearer k`, else 401
    latency_s=0.5         each chat takes this long (a model generating)
    parallel=1            at most this many chats run at once, the others queue (llama.cpp's one slot)
    models_busy_delay_s   `/v1/models` answers this late while a chat runs (llama.cpp busy generating)
    models_delay_s        `/v1/models` always answers this late (slow from the start)
    models_status         an HTTP status for `/v1/models` (default 200)
    stream_only=True      a chat without `"stream": true` gets 400
    n_ctx=N               prompt (characters / 4) + max_tokens beyond N gets llama-cpp-python's 400
                          `context_length_exceeded`

Every request received is kept in `requests` ({"method", "path", "body", "auth"}) and every chat
body in `chat_requests`, in order. Token usage, when not given, is estimated as characters / 4.
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
                 default: Item | None = None, port: int = 0, models: list[Any] | None = None,
                 embedding_models: Iterable[str] = (), strict_models: bool = False, api_key: str | None = None,
                 latency_s: float = 0.0, parallel: int | None = None, models_busy_delay_s: float = 0.0,
                 models_delay_s: float = 0.0, stream_only: bool = False, n_ctx: int | None = None) -> None:
        self.script: deque[Item] = deque(script)
        self.model = model
        self.default = default
        self.models = list(models) if models is not None else None
        self.embedding_models = set(embedding_models)
        self.strict_models = strict_models
        self.api_key = api_key
        self.latency_s = latency_s
        self.models_busy_delay_s = models_busy_delay_s
        self.models_delay_s = models_delay_s
        self.stream_only = stream_only
        self.n_ctx = n_ctx
        self.models_status = 200
        self.requests: list[dict[str, Any]] = []
        self.generating = 0  # chats being answered right now
        self.max_generating = 0  # the most at once, for tests of spreading
        self._slots = threading.Semaphore(parallel) if parallel else None
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

    def listed(self) -> list[dict[str, Any]]:
        """The `/v1/models` data."""
        return [m if isinstance(m, dict) else {"id": m, "object": "model", "owned_by": "fakellm"}
                for m in (self.models if self.models is not None else [self.model])]

    def _next(self, body: dict[str, Any]) -> Item:
        with self._lock:
            item = self.script.popleft() if self.script else self.default
        if item is None:
            return {"status": 500, "body": {"error": {"message": "fakellm: script exhausted"}}}
        return item(body) if callable(item) else item

    def refusal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """What a real server refuses before generating: an unknown or non-chat model, a request
        that does not stream to a streaming-only server, a prompt beyond the context."""
        model = str(body.get("model") or "")
        if model in self.embedding_models:
            return {"status": 400, "body": {"error": {"message": f"'{model}' is not a chat model: it is an "
                                                                 "embedding model and cannot do chat completions",
                                                      "type": "invalid_request_error"}}}
        if self.strict_models and model not in {m["id"] for m in self.listed()}:
            return {"status": 404, "body": {"error": {"message": f'model "{model}" not found, try pulling it first',
                                                      "type": "api_error"}}}
        if self.stream_only and not body.get("stream"):
            return {"status": 400, "body": {"error": {"message": "this server only streams: set stream=true"}}}
        if self.n_ctx is not None:
            prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
            wanted = prompt + int(body.get("max_tokens") or 0)
            if wanted > self.n_ctx:
                return {"status": 400, "body": {"error": {
                    "message": f"This model's maximum context length is {self.n_ctx} tokens. However, you requested "
                               f"{wanted} tokens ({prompt} in the messages, {body.get('max_tokens')} in the "
                               "completion). Please reduce the length of the messages or completion.",
                    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}}
        return None

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

    def _generate(self, item: dict[str, Any]) -> None:
        """The model's time: `latency_s` in one of the `parallel` slots."""
        if self._slots is not None:
            self._slots.acquire()
        with self._lock:
            self.generating += 1
            self.max_generating = max(self.max_generating, self.generating)
        try:
            if self.latency_s:
                self._stopping.wait(self.latency_s)
        finally:
            with self._lock:
                self.generating -= 1
            if self._slots is not None:
                self._slots.release()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, completion: dict[str, Any]) -> None:
                """The completion as server-sent events: a role chunk, the content in pieces, the
                finish reason, the usage (as `stream_options.include_usage` asks), `[DONE]`."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                choice = completion["choices"][0]
                content = choice["message"]["content"]
                base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
                deltas = [{"role": "assistant", "content": ""}] + \
                    [{"content": content[i:i + 16]} for i in range(0, len(content), 16)]
                chunks = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
                chunks.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
                chunks.append(base | {"choices": [], "usage": completion["usage"]})
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def _record(self, body: Any) -> None:
                with fake._lock:
                    fake.requests.append({"method": self.command, "path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})

            def _authorised(self) -> bool:
                if fake.api_key is None or self.headers.get("Authorization") == f"Bearer {fake.api_key}":
                    return True
                self._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
                return False

            def _gone(self) -> bool:
                """After stop(), a request on a connection kept alive from before is refused by
                a reset, as a stopped server's would be (serve_forever's end leaves the handler
                threads of open keep-alive connections running)."""
                if fake._stopping.is_set():
                    self._drop()
                    return True
                return False

            def do_GET(self) -> None:
                if self._gone():
                    return
                self._record(None)
                if not self._authorised():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    delay = fake.models_busy_delay_s if fake.generating else 0.0
                    if max(delay, fake.models_delay_s):
                        fake._stopping.wait(max(delay, fake.models_delay_s))
                    if fake.models_status != 200:
                        self._send(fake.models_status, {"error": {"message": "models unavailable"}})
                    else:
                        self._send(200, {"object": "list", "data": fake.listed()})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                if self._gone():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode(errors="replace")}
                self._record(body)
                if not self._authorised():
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                item = fake.refusal(body) or fake._next(body)
                if isinstance(item, str):
                    item = {"content": item}
                if "hang" in item:
                    fake._stopping.wait(float(item["hang"]))
                    self._drop()
                elif item.get("close"):
                    self._drop()
                elif "status" in item:
                    headers = {"Retry-After": str(item["retry_after"])} if "retry_after" in item else None
                    self._send(int(item["status"]), item.get("text") or item.get("body")
                               or {"error": {"message": "scripted error"}}, headers)
                else:
                    fake._generate(item)
                    completion = fake._completion(body, item)
                    if body.get("stream"):
                        self._stream(completion)
                    else:
                        self._send(200, completion)

        return Handler


def main(argv: list[str] | None = None) -> int:
    """`python tests/fakellm.py --port P [--default TEXT] [--latency S] [--parallel N]`: serve until
    SIGTERM (the supervisor's `llm` child in tests, through `embedded.command`)."""
    import argparse
    import signal

    p = argparse.ArgumentParser(description="a scripted OpenAI-compatible server on loopback")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--model", default="fake-model")
    p.add_argument("--default", default="```python\ndef f():\n    return 1\n```",
                   help="the answer to every chat request")
    p.add_argument("--latency", type=float, default=0.0, help="seconds each chat takes")
    p.add_argument("--parallel", type=int, default=None, help="chats answered at once (the rest queue)")
    args = p.parse_args(argv)
    fake = FakeLLM(default=args.default, model=args.model, port=args.port, latency_s=args.latency,
                   parallel=args.parallel)
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
