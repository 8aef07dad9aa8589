"""The exam on the real embedded model: with no daemon and no URL, `cogloop exam run` starts
SmolLM2 through llama.cpp for the run, pins it, records plain results apart from training and
stops the server afterwards. Never skipped: a missing model is a failure (as test_e2e_embedded)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from actors.llm import probe

from store import Store
from tests.conftest import cogloop_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_exam_run_on_the_embedded_model(home):
    env = {**os.environ, "COGLOOP_EMBEDDED_THREADS": "1", "COGLOOP_LLM_TEMPERATURE": "0"}
    made = subprocess.run(cogloop_cmd("exam", "create", "--home", str(home), "--tasks", "2", "--difficulties", "1",
                                      "--skills", "math,lists"), capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    out = subprocess.run(cogloop_cmd("exam", "run", "--home", str(home), "--arms", "plain", "--json"),
                         capture_output=True, text=True, env=env, timeout=800)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout)
    assert summary["status"] == "done" and summary["model"].startswith("SmolLM2")
    assert summary["arms"]["plain"]["n"] == 2
    with Store.open(home / "history.db", readonly=True) as s:
        rows = s.exam_results(summary["run"])
        assert len(rows) == 2 and all(r["model"].startswith("SmolLM2") and r["tokens_out"] > 0 for r in rows)
        assert s.training_attempts() == 0 and s.one("SELECT count(*) AS n FROM tasks")["n"] == 0
        endpoint = s.exam_runs()[0]["endpoint"]
    assert endpoint.startswith("http://127.0.0.1:")
    assert probe(endpoint, timeout=2.0)[0].startswith("down")  # the run's server is gone with it
