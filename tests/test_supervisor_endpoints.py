"""The daemon against stand-ins for real model servers (tests/fakellm.py): `status` tells what
really happens (a keyed server is ok, 500 on every chat is erroring, a server generating is
busy, never down; the model in use is shown) and endpoint errors burn no task (an embedding
model listed first, Ollama's `name:latest`, an unknown model, a missing key). Each of these
failed on the code before issue 14."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from store import Store
from tests.daemon_helpers import Daemon, wait_for
from tests.fakellm import FakeLLM
from tests.storehelp import task

pytestmark = [pytest.mark.process, pytest.mark.timeout(120)]

RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"
CHILDREN = "memory:memory,scorer:scorer,builder-1:builder,builder-2:builder"
QUICK = {"COGLOOP_LLM_RETRIES": "0", "COGLOOP_LLM_BREAKER_FAILURES": "2", "COGLOOP_LLM_BREAKER_RESET_S": "2",
         "COGLOOP_DAEMON_WARM_SPARES": "false",
         # the tasks are one problem: with adapt on, the first pass would answer the rest without a call
         "COGLOOP_BUILDER_ADAPT": "false"}
EMBED = {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model", "type": "embeddings"}


def daemon(home: Path, url: str, tasks: int = 4, **env: str) -> Daemon:
    Store.open(home / "history.db").add_tasks([task(i) for i in range(tasks)])
    return Daemon(home, CHILDREN, COGLOOP_LLM_URL=url, **{**QUICK, **env}).start()


def record(home: Path) -> dict[str, int]:
    db = Store.open(home / "history.db", readonly=True)
    n = lambda sql: db.one(sql)["n"]  # noqa: E731
    return {"attempts": n("SELECT count(*) AS n FROM attempts"), "scored": n("SELECT count(*) AS n FROM scores"),
            "lost": n("SELECT count(*) AS n FROM attempts WHERE lost IS NOT NULL"),
            "passed": n("SELECT count(*) AS n FROM tasks WHERE status = 'passed'"),
            "error": n("SELECT count(*) AS n FROM tasks WHERE status = 'error'")}


def all_passed(home: Path, tasks: int = 4) -> bool:
    return record(home)["passed"] == tasks


def test_a_keyed_server_is_ok_in_status_while_its_calls_pass(home: Path) -> None:
    with FakeLLM(default=RIGHT, api_key="sk-local") as fake:
        d = daemon(home, fake.url, COGLOOP_LLM_API_KEY="sk-local")
        try:
            wait_for(lambda: all_passed(home), timeout=60, what="every task passed")
            # busy while the last reflections run (a call in flight): ok once they are done
            llm = wait_for(lambda: (s := d.status()["llm"])["state"] == "ok" and s, what="ok in status")
            assert llm["model"] == "fake-model"
            assert llm["endpoints"][0]["calls"] >= 4 and llm["endpoints"][0]["errors"] == 0  # reflections may run on
        finally:
            d.stop()
        assert {r["auth"] for r in fake.requests} == {"Bearer sk-local"}  # probes included


def test_a_missing_key_is_one_line_in_status_and_no_task_is_touched(home: Path) -> None:
    with FakeLLM(default=RIGHT, api_key="sk-local") as fake:
        d = daemon(home, fake.url, COGLOOP_LLM_MODEL="fake-model")
        try:
            wait_for(lambda: d.status()["llm"]["state"] == "down: HTTP 401: Incorrect API key provided",
                     what="the refused key in status")
            time.sleep(3)  # builders had every chance to try
            assert record(home)["attempts"] == 0 and not fake.chat_requests  # not even leased
            wait_for(lambda: d.forward("builder-1", "builder.status")["status"]["llm"]["state"] ==
                     "down: HTTP 401: Incorrect API key provided", what="the builder's own view (after its warm-up)")
        finally:
            d.stop()


def test_an_embedding_model_listed_first_is_skipped(home: Path) -> None:
    with FakeLLM(default=RIGHT, models=[EMBED, "qwen2.5-coder-7b-instruct"], embedding_models=[EMBED["id"]]) as fake:
        d = daemon(home, fake.url)
        try:
            wait_for(lambda: all_passed(home), timeout=60, what="every task passed")
            assert d.status()["llm"]["model"] == "qwen2.5-coder-7b-instruct"
        finally:
            d.stop()
        assert {b["model"] for b in fake.chat_requests} == {"qwen2.5-coder-7b-instruct"}
    assert record(home)["scored"] == 4


def test_ollama_latest_tag_and_an_unknown_model(home: Path, tmp_path: Path) -> None:
    with FakeLLM(default=RIGHT, models=["llama3.2:latest"], strict_models=True) as fake:
        d = daemon(home, fake.url, COGLOOP_LLM_MODEL="llama3.2")
        try:
            wait_for(lambda: all_passed(home), timeout=60, what="every task passed")
            assert d.status()["llm"]["model"] == "llama3.2:latest"
        finally:
            d.stop()
    other = tmp_path / "other"
    other.mkdir()
    with FakeLLM(default=RIGHT, models=["qwen2.5-coder"], strict_models=True) as fake:
        d = daemon(other, fake.url, COGLOOP_LLM_MODEL="llama9")
        try:
            line = "waiting: the server does not list model 'llama9' (it lists qwen2.5-coder)"
            wait_for(lambda: d.status()["llm"]["state"] == line, what="the unknown model in status")
            time.sleep(3)
            assert record(other)["attempts"] == 0 and not fake.chat_requests  # builders wait
            wait_for(lambda: d.forward("builder-2", "builder.status")["status"]["llm"]["state"] == line,
                     what="the builder's own view (after its warm-up)")
        finally:
            d.stop()


def test_500_on_every_chat_is_erroring_in_status_and_burns_no_task(home: Path) -> None:
    oom = {"status": 500, "body": {"error": {"message": "CUDA error: out of memory"}}}
    with FakeLLM(default=oom) as fake:
        d = daemon(home, fake.url)
        try:
            state = wait_for(lambda: (s := d.status()["llm"]["state"]).startswith(("erroring", "breaker open")) and s,
                             what="the error in status")
            assert state.endswith("HTTP 500: CUDA error: out of memory")
            time.sleep(4)  # the breaker holds the builders; trial chats go out, no task is leased for them
            seen = len(fake.chat_requests)
            time.sleep(4)
            assert len(fake.chat_requests) - seen <= 3  # about one trial per reset (2 s), no task calls
            rec = record(home)
            assert rec["scored"] == 0 and rec["error"] == 0 and rec["lost"] <= 4
        finally:
            d.stop()


def test_a_task_that_meets_endpoint_errors_again_and_again_ends_as_error_with_the_reason(home: Path) -> None:
    # a task too long for the model's context even trimmed: each lease ends in the server's 400
    # (which trips no breaker: the other tasks fit), never as a scored attempt, and the record's
    # cap for lost work ends it as `error` with the server's words, not in a loop
    with FakeLLM(default=RIGHT, n_ctx=2000) as fake:
        Store.open(home / "history.db").add_tasks([task(0, prompt="def add(a, b):\n    ...\n" + "# every case\n" * 1200)])
        d = daemon(home, fake.url, tasks=3, COGLOOP_STORE_MAX_LOST="3", COGLOOP_BUILDER_REFLECT="false")
        try:
            wait_for(lambda: record(home)["passed"] == 3 and record(home)["error"] == 1, timeout=90,
                     what="the long task ended as error, the others passed")
            time.sleep(2)  # nothing more is sent for it
            db = Store.open(home / "history.db", readonly=True)
            big = db.one("SELECT id, status, lost, error FROM tasks WHERE prompt LIKE '%every case%'")
            assert (big["status"], big["lost"]) == ("error", 3)
            assert "context length is 2000" in big["error"], big["error"]
            assert db.one("SELECT count(*) AS n FROM scores WHERE task_id = ?", [big["id"]])["n"] == 0
            assert d.status()["llm"]["state"] in ("ok", "busy")  # the endpoint is fine: the task was not
        finally:
            d.stop()


def test_a_server_generating_is_busy_never_down(home: Path) -> None:
    # llama.cpp on two cores: each chat takes 2.5 s, one at a time, and /v1/models takes 3 s
    # from the start (no good probe ever came in time before the first completion).
    with FakeLLM(default=RIGHT, latency_s=2.5, parallel=1, models_delay_s=3.0) as fake:
        d = daemon(home, fake.url, tasks=3, COGLOOP_BUILDER_REFLECT="false")
        states = []
        try:
            deadline = time.monotonic() + 60
            while not all_passed(home, 3) and time.monotonic() < deadline:
                states.append(d.status()["llm"]["state"])
                time.sleep(0.25)
        finally:
            d.stop()
        assert all_passed(home, 3)
    assert "busy" in states and not [s for s in states if s.startswith("down")], sorted(set(states))


def test_two_endpoints_share_the_builders_and_status_lists_both(home: Path) -> None:
    with FakeLLM(default=RIGHT, latency_s=0.3, parallel=1) as a, \
            FakeLLM(default=RIGHT, latency_s=0.3, parallel=1, model="other-model") as b:
        d = daemon(home, f"{a.url},{b.url}", tasks=8)
        try:
            wait_for(lambda: all_passed(home, 8), timeout=60, what="every task passed")
            # the last reflections done, every request is counted where it went
            llm = wait_for(lambda: (s := d.status()["llm"]) and [e["calls"] for e in s["endpoints"]] ==
                           [len(a.chat_requests), len(b.chat_requests)] and s, what="the counts to match the servers'")
        finally:
            d.stop()
        assert (llm["url"], llm["model"], llm["state"]) == (a.url, "fake-model", "ok")  # old scripts: the first
        rows = {e["url"]: e for e in llm["endpoints"]}
        assert set(rows) == {a.url, b.url} and rows[b.url]["model"] == "other-model"
        assert rows[a.url]["calls"] >= 4 and rows[b.url]["calls"] >= 4  # both served


def test_embedded_servers_two_children_two_endpoints(home: Path) -> None:
    fakellm = Path(__file__).with_name("fakellm.py")
    d = Daemon(home, None, COGLOOP_LLM_URL="", COGLOOP_DAEMON_BUILDERS="2", COGLOOP_EMBEDDED_SERVERS="2",
               COGLOOP_EMBEDDED_COMMAND=f"{{python}} {fakellm} --port {{port}} --latency 0.2 --parallel 1",
               COGLOOP_DAEMON_WARM_SPARES="false").start()
    try:
        names = [c["name"] for c in d.children()]
        assert names[:2] == ["llm-1", "llm-2"] and "llm" not in names
        Store.open(home / "history.db").add_tasks([task(i) for i in range(6)])
        llm = wait_for(lambda: (s := d.status()["llm"]) and all(e["calls"] >= 2 for e in s["endpoints"]) and s,
                       timeout=60, what="both embedded servers used")
        assert len(llm["endpoints"]) == 2 and {e["state"] for e in llm["endpoints"]} <= {"ok", "busy"}
        assert llm["url"] == llm["endpoints"][0]["url"] != llm["endpoints"][1]["url"]
    finally:
        d.stop()
