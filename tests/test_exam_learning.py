"""Learning, end to end, with a learning-sensitive scripted model (tests/learnllm.py): training
through the real daemon, then bench/learning.py's exam with arms side by side.

With memory on, the loop gains exactly where training archived a solution of the same
generator (the seen part) and nothing on reserved generators (the held-out part); with memory
switched off it gains nothing; exam tasks never reach the training record or the archive."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from actors.exam.guard import prompt_key
from store import Store
from tests.fakellm import FakeLLM
from tests.learnllm import LearningModel

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^learning: plain (\d+)/(\d+), loop (\d+)/(\d+), ratio (\S+); memory on-off ([+-]\d+\.\d|n/a) pts "
                  r"\(seen ([+-]\d+\.\d|n/a) pts, held-out ([+-]\d+\.\d|n/a) pts\)$")


def bench(home: Path, **env: str) -> tuple[re.Match, str]:
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model) as fake:
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "learning.py"), "--tasks", "16", "--train", "20",
                              "--difficulties", "1", "--llm-url", fake.url, "--home", str(home)],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=280)
    assert out.returncode == 0, out.stderr[-2000:] + out.stdout[-2000:]
    last = out.stdout.strip().splitlines()[-1]
    m = LINE.match(last)
    assert m, last
    return m, out.stdout


@pytest.mark.timeout(300)
def test_memory_on_lifts_the_seen_part_and_exam_tasks_never_reach_training(tmp_path):
    home = tmp_path / "home"
    m, out = bench(home)
    plain, n, loop, _, ratio, on_off, seen, heldout = m.groups()
    assert int(n) == 16 and int(loop) > int(plain)
    assert float(on_off) > 0 and float(seen) > 0 and float(heldout) == 0.0
    assert "loop: loop - plain" in out and "held-out-generator" in out
    with Store.open(home / "history.db", readonly=True) as s:
        exam = s.exam()
        exam_keys = {t["prompt_key"] for t in s.exam_tasks(exam["id"])}
        training = s.training_tasks_seen()
        assert len(training) == 20 and all(t["id"].startswith("train-") for t in training)
        assert not exam_keys & {prompt_key(t["prompt"]) for t in training}  # no exam prompt was trained on
        assert not set(exam["reserved"]) & {t["meta"]["generator"] for t in training}
        archived = [r["task_id"] for r in s.rows("SELECT task_id FROM solutions")]
        assert archived and all(a.startswith("train-") for a in archived)  # exam tasks never archived
        assert s.training_attempts() == 20  # the exam's graded answers are not scores
        assert s.one("SELECT count(*) AS n FROM attempts")["n"] == 20
        results = s.rows("SELECT arm, count(*) AS n FROM exam_results GROUP BY arm ORDER BY arm")
        assert results == [{"arm": "loop", "n": 16}, {"arm": "nomemory", "n": 16}, {"arm": "plain", "n": 16}]


@pytest.mark.timeout(300)
def test_memory_off_gives_no_lift(tmp_path):
    m, _ = bench(tmp_path / "home", COGLOOP_BUILDER_LESSONS="0", COGLOOP_BUILDER_EXAMPLES="off")
    plain, _, loop, _, ratio, on_off, seen, heldout = m.groups()
    assert loop == plain and ratio in ("1.00", "n/a") and (on_off, seen, heldout) == ("+0.0", "+0.0", "+0.0")
