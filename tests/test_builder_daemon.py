"""The BuilderActor in a real supervisor with a real Memory: with the LLM endpoint down it
waits without holding the task, the daemon stays up and `builder.status` says why; when the
endpoint comes up, the builder leases the task and records an attempt."""

from __future__ import annotations

import pytest

from store import Store
from tests.daemon_helpers import Daemon, wait_for
from tests.fakellm import FakeLLM, free_port
from tests.storehelp import task

pytestmark = pytest.mark.process

RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"


@pytest.mark.timeout(90)
def test_endpoint_down_builder_waits_then_recovers(tmp_path) -> None:
    port = free_port()
    d = Daemon(tmp_path, "memory:memory, builder-1:builder", COGLOOP_LLM_URL=f"http://127.0.0.1:{port}/v1",
               COGLOOP_LLM_BREAKER_RESET_S="1", COGLOOP_LLM_RETRIES="0", COGLOOP_LLM_BREAKER_FAILURES="1")
    d.start()
    try:
        tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
        st = wait_for(lambda: (s := d.forward("builder-1", "builder.status")["status"])["llm"]["state"]
                      .startswith("down:") and s, what="builder reports the LLM down")
        assert "connection failed" in st["llm"]["state"] and st["task"] is None
        shown = d.forward("memory", "task.show", {"id": tid})["task"]
        assert shown["status"] == "queued"  # never leased while the endpoint is down
        assert {c["name"]: c["state"] for c in d.children()} == {"memory": "running", "builder-1": "running"}
        with FakeLLM(default=RIGHT, port=port) as fake:
            wait_for(lambda: Store.open(tmp_path / "history.db", readonly=True).rows(
                "SELECT id FROM attempts WHERE task_id = ? AND status != 'running'", [tid]), timeout=30, what="an attempt recorded")
            assert fake.chat_requests[0]["messages"][0]["role"] == "system"
    finally:
        d.stop()
