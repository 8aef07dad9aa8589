"""The supervisor and the LLM endpoint: `status` says why the LLM is not usable (probed in the
sampler thread, so `status` stays fast), builders wait without holding tasks while it is down,
and the embedded server child is supervised like any actor."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import Daemon, wait_for
from tests.fakellm import FakeLLM, free_port
from tests.storehelp import task

pytestmark = pytest.mark.process

RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"


def status_json(home) -> tuple[dict, float]:
    """`cogloop status --json` as a real CLI process; the status and the wall time it took."""
    t0 = time.monotonic()
    out = subprocess.run(cogloop_cmd("status", "--home", str(home), "--json"), capture_output=True, text=True,
                         timeout=60)
    took = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), took


@pytest.mark.timeout(90)
def test_status_says_llm_down_with_reason_then_ok_when_server_comes_up(home) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    d = Daemon(home, "memory:memory, builder-1:builder", COGLOOP_LLM_URL=url,
               COGLOOP_LLM_BREAKER_RESET_S="1", COGLOOP_LLM_RETRIES="0", COGLOOP_LLM_BREAKER_FAILURES="1")
    d.start()
    try:
        tid = d.forward("memory", "task.add", {"task": task(1)})["id"]
        wait_for(lambda: d.status()["llm"]["state"].startswith("down:"), what="the probe to report down")
        status, took = status_json(home)
        print(f"status --json with the endpoint down: {took * 1000:.0f} ms (CLI start-up included)")
        llm = status["llm"]
        assert llm["url"] == url and "refused" in llm["state"].lower(), llm
        assert {c["name"]: c["state"] for c in status["children"]} == {"memory": "running", "builder-1": "running"}
        time.sleep(0.5)  # builders had time to try: they wait, not lease
        assert d.forward("memory", "task.show", {"id": tid})["task"]["status"] == "queued"
        with FakeLLM(default=RIGHT, port=port, model="coder-7b") as fake:
            wait_for(lambda: d.status()["llm"]["state"] == "ok", what="the probe to see the server")
            status, _ = status_json(home)
            assert {k: status["llm"][k] for k in ("url", "model", "state")} == \
                {"url": url, "model": "coder-7b", "state": "ok"}
            wait_for(lambda: Store.open(home / "history.db", readonly=True).rows(
                "SELECT id FROM attempts WHERE task_id = ? AND status != 'running'", [tid]), timeout=30,
                what="the builder to attempt the task")
            assert fake.chat_requests
        # the server goes away again: status follows
        wait_for(lambda: d.status()["llm"]["state"].startswith("down:"), what="down again")
    finally:
        d.stop()


@pytest.mark.timeout(60)
def test_status_waits_when_the_server_lacks_the_configured_model(home) -> None:
    with FakeLLM(model="other") as fake:
        d = Daemon(home, "memory:memory", COGLOOP_LLM_URL=fake.url, COGLOOP_LLM_MODEL="wanted").start()
        try:
            st = wait_for(lambda: (s := d.status()["llm"])["state"] != "waiting: not probed yet" and s,
                          what="a probe")
            assert st["model"] == "wanted"
            assert st["state"] == "waiting: the server does not list model 'wanted' (it lists other)"
        finally:
            d.stop()
