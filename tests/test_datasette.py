"""Browsing the history in Datasette: scores and reflections link to their attempt and task,
every table and column is described, attempts come newest first, long text is cut. Checked
in the real Datasette (the `test` extra installs it), in-process and through `cogloop datasette`."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
import urllib.request

import pytest
from datasette.app import Datasette

from store import Store
from store.metadata import SETTINGS, metadata, schema_columns
from tests.conftest import cogloop_cmd
from tests.storehelp import Clock, task

LONG_PROMPT = "Write a function. " * 100  # 1,800 characters


@pytest.fixture
def history(home):
    clock = Clock()
    with Store.open(home / "history.db", clock=clock) as s:
        ids = {}
        for n in range(2):
            tid = s.add_task(task(n))
            lease = s.lease("builder-1", 600)
            clock.t += 60
            s.record_attempt({"id": lease["attempt_id"], "task_id": tid, "builder": "builder-1", "status": "passed",
                              "prompt": LONG_PROMPT, "code": "def add(a, b):\n    return a + b\n"})
            sid = s.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 0.9, "passed": True})
            s.record_reflection({"attempt_id": lease["attempt_id"], "task_id": tid, "passed": True,
                                 "lesson": "test the edges"})
            ids[n] = {"task": tid, "attempt": lease["attempt_id"], "score": sid}
    return home, ids


def get(home, *paths):
    """Datasette in this process, with cogloop's metadata and settings: one response per path."""
    async def fetch():
        ds = Datasette([str(home / "history.db")], metadata=metadata(), settings=SETTINGS)
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in paths]
    return asyncio.run(fetch())


@pytest.mark.unit
def test_every_table_view_and_column_is_described():
    meta = metadata()["databases"]["history"]["tables"]
    for name, columns in schema_columns().items():
        assert meta[name]["description"], name
        assert set(meta[name]["columns"]) == set(columns), name  # none missing, none stale


@pytest.mark.unit
def test_scores_and_reflections_link_to_their_attempt_and_task(history):
    home, ids = history
    scores, reflections, score_table, attempt_page = get(
        home, "/history/scores.json?_labels=on&_shape=objects", "/history/reflections.json?_labels=on&_shape=objects",
        "/history/scores", f"/history/attempts/{ids[0]['attempt']}")
    assert {r.status_code for r in (scores, reflections, score_table, attempt_page)} == {200}
    for rows in (scores.json()["rows"], reflections.json()["rows"]):
        by_attempt = {r["attempt_id"]["value"]: r for r in rows}
        first = by_attempt[ids[0]["attempt"]]
        assert first["task_id"] == {"value": ids[0]["task"], "label": "Add #0"}  # linked, with the title
    assert f'href="/history/attempts/{ids[0]["attempt"]}"' in score_table.text
    assert f'href="/history/tasks/{ids[0]["task"]}"' in score_table.text
    # and back: an attempt's page lists its score and reflection
    assert f'href="/history/scores?attempt_id={ids[0]["attempt"]}"' in attempt_page.text
    assert f'href="/history/reflections?attempt_id={ids[0]["attempt"]}"' in attempt_page.text


@pytest.mark.unit
def test_attempts_newest_first_described_and_long_text_cut(history):
    home, ids = history
    data, page = get(home, "/history/attempts.json?_shape=objects", "/history/attempts")
    assert data.json()["human_description_en"] == "sorted by started_at descending"
    starts = [r["started_at"] for r in data.json()["rows"]]
    assert starts == sorted(starts, reverse=True) and len(starts) == 2
    assert "The builder&#39;s verdict on the VISIBLE tests" in page.text or \
        "The builder's verdict on the VISIBLE tests" in page.text  # column descriptions shown
    assert LONG_PROMPT.strip() not in page.text and "Write a function. Write a function." in page.text
    recent = get(home, "/history/recent_attempts.json?_shape=objects")[0].json()["rows"][0]
    assert recent["visible_status"] == "passed" and recent["hidden_passed"] == 1  # no bare status/passed pair


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.process
@pytest.mark.timeout(120)
def test_cogloop_datasette_serves_the_history_with_its_metadata(history):
    home, ids = history
    port = free_port()
    proc = subprocess.Popen(cogloop_cmd("datasette", "--home", str(home), "--port", str(port)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/history/scores.json?_labels=on&_shape=objects"
                with urllib.request.urlopen(url, timeout=5) as resp:
                    rows = json.load(resp)["rows"]
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "datasette did not answer"
                time.sleep(0.3)
        assert {r["attempt_id"]["value"] for r in rows} == {ids[0]["attempt"], ids[1]["attempt"]}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/metadata.json", timeout=5) as resp:
            assert json.load(resp)["databases"]["history"]["tables"]["tasks"]["label_column"] == "title"
    finally:
        proc.terminate()
        proc.wait(30)
