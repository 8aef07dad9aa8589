"""`cogloop report`: the figures (ops/report/data.py) and the three renderings."""

from __future__ import annotations

import json
import re
import subprocess
from xml.etree import ElementTree

import pytest

from ops import humaneval
from ops.readdb import open_readonly
from ops.report import data
from ops.report.svg import line_chart
from store import Store
from tests.conftest import cogloop_cmd
from tests.operatorhelp import SETTINGS, Clock, attempt_and_score, fill, improving_runs

BENCH_KEYS = {"benchmark", "model", "settings", "tasks", "attempted", "passed", "pass_at_1"}


@pytest.fixture
def history(home):
    """30 `strings` scores that turn from failing to passing, 12 `lists` that get worse,
    two restarts, one crash, and a trainer profile."""
    runs = improving_runs("strings", 30)
    runs += [("lists", 3, i < 6, 0.9 if i < 6 else 0.1) for i in range(12)]
    clock = fill(home / "history.db", runs)
    with Store.open(home / "history.db", clock=clock) as s:
        s.log_event("child.restart", "builder-1", {"reason": "exit 1"})
        s.log_event("child.restart", "scorer", {"reason": "missed heartbeats"})
        s.log_event("actor.error", "builder-1", {"error": "LLM timed out"})
        s.log_event("task.added", "memory", {"id": "x"})
        s.snapshot_profile({"skills": {"strings": {"mu": 0.72, "attempts": 30}, "parsing": {"ability": 0.1},
                                       "graphs": {"mu": 0.5, "attempts": 0}}})  # graphs: untried, left out
    return home


def run(*args):
    return subprocess.run(cogloop_cmd(*args), capture_output=True, text=True, timeout=120)


@pytest.mark.unit
def test_skill_table_pass_rate_trend_and_ability(history):
    with open_readonly(history / "history.db") as conn:
        table = {r["skill"]: r for r in data.skill_table(conn)}
    strings, lists = table["strings"], table["lists"]
    assert (strings["attempts"], strings["passed"], strings["pass_rate"]) == (30, 20, 0.667)
    assert strings["trend"] == 0.0  # the last 20 all passed: flat at the top
    assert lists["trend"] is None  # fewer than two windows of 10
    assert strings["ability"] == 0.72 and lists["ability"] is None
    assert table["parsing"]["attempts"] == 0 and table["parsing"]["ability"] == 0.1
    assert "graphs" not in table
    assert strings["max_difficulty_passed"] == 5 and lists["max_difficulty_passed"] == 3


@pytest.mark.unit
def test_trend_sign_follows_the_last_two_windows(home):
    runs = [("dp", 2, i >= 15, 0.5) for i in range(20)]  # 10 fails then 5 fails + 5 passes... then passes
    fill(home / "history.db", runs)
    with open_readonly(home / "history.db") as conn:
        (row,) = data.skill_table(conn)
    assert row["trend"] == 0.5  # last 10: 5 passes; the 10 before: none


@pytest.mark.unit
def test_series_histogram_and_events(history):
    with open_readonly(history / "history.db") as conn:
        series = data.pass_rate_series(conn)
        diff = data.difficulty_series(conn)
        hist = data.score_histogram(conn)
        events = data.event_summary(conn)
    strings = [rate for _, rate in series["strings"]]
    assert strings[0] == 0.0 and strings[-1] == 1.0 and len(strings) == 30
    assert all(b >= a for a, b in zip(strings, strings[1:]))  # only ever improves
    assert len(diff) == 42 and diff[0][1] == 1.0
    assert sum(hist) == 42 and hist[9] == 6 and hist[1] == 6  # the six 0.9s, the six 0.1s
    assert events["restarts"] == 2 and events["errors"] == 1
    assert events["by_actor"] == {"builder-1": {"restarts": 1, "errors": 1}, "scorer": {"restarts": 1, "errors": 0}}
    assert events["recent"][0]["detail"] == "LLM timed out"


@pytest.mark.process
def test_cli_report_json_and_terminal(history):
    proc = run("report", "--home", str(history), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["scores"] == 42 and out["passed"] == 26
    assert {r["skill"] for r in out["skills"]} == {"strings", "lists", "parsing"}
    proc = run("report", "--home", str(history))
    assert proc.returncode == 0 and "strings" in proc.stdout and "LLM timed out" in proc.stdout


@pytest.mark.process
def test_cli_report_html_is_one_offline_file_with_charts(history, tmp_path):
    out = tmp_path / "report.html"
    proc = run("report", "--home", str(history), "--html", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "<script" not in html and not re.search(r"(src|href)=\"https?:", html)
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 1 + 2 + 2  # ability, one pass-rate chart per skill with scores, difficulty, histogram
    for svg in svgs:
        ElementTree.fromstring(svg)  # well-formed XML
    assert "Ability per skill" in svgs[0] and svgs[0].count("<polyline") == 0  # one snapshot: a dot per skill
    assert [s.count("<polyline") for s in svgs[1:3]] == [1, 1]  # a pass-rate line for each skill
    assert "Difficulty over time" in svgs[3] and svgs[3].count("<polyline") == 1
    assert svgs[4].count("<rect") == 10
    # restarts and errors by actor, from the events table
    section = html[html.index("<h2>Restarts and errors</h2>"):html.index("<h2>Queue</h2>")]
    assert "<td>builder-1</td><td>1</td><td>1</td>" in section and "<td>scorer</td><td>1</td><td>0</td>" in section


@pytest.mark.process
def test_benchmark_counts_first_candidate_only(home):
    problems = humaneval.load_problems()
    tasks = humaneval.select(problems, limit=5)
    tasks[1]["max_attempts"] = 2  # fails first, passes on its second attempt: still a fail for pass@1
    clock = Clock()
    with Store.open(home / "history.db", clock=clock) as s:
        s.add_tasks(tasks)
        outcomes = {"humaneval-0": [True], "humaneval-1": [False, True], "humaneval-2": [True],
                    "humaneval-3": [False]}
        while (queued := s.list_tasks(status="queued", source="humaneval")):
            head = min(queued, key=lambda t: int(t["id"].split("-")[1]))
            if head["id"] == "humaneval-4":
                break  # never attempted
            ok = outcomes[head["id"]].pop(0)
            assert attempt_and_score(s, clock, passed=ok, total=1.0 if ok else 0.0) == head["id"]
    with open_readonly(home / "history.db") as conn:
        bench = data.benchmark(conn, "humaneval", "config-model", {"temperature": 0.9})
    assert set(bench) == BENCH_KEYS
    assert (bench["tasks"], bench["attempted"], bench["passed"], bench["pass_at_1"]) == (5, 4, 2, 0.4)
    assert bench["model"] == SETTINGS["model"]
    assert bench["settings"] == {"temperature": 0.0, "max_tokens": 256, "seed": 7}  # no per-attempt noise
    proc = run("report", "--home", str(home), "--benchmark", "humaneval", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == bench
    proc = run("report", "--home", str(home), "--benchmark", "humaneval")
    assert "pass@1" in proc.stdout and "0.4000" in proc.stdout and "scripted-coder" in proc.stdout


@pytest.mark.process
def test_benchmark_without_attempts_uses_config(home):
    with Store.open(home / "history.db") as s:
        s.add_tasks(humaneval.select(humaneval.load_problems(), limit=2))
    (home / "cogloop.toml").write_text('[llm]\nmodel = "qwen-coder"\ntemperature = 0.3\n')
    proc = run("report", "--home", str(home), "--benchmark", "humaneval", "--json")
    out = json.loads(proc.stdout)
    assert out["model"] == "qwen-coder" and out["settings"]["temperature"] == 0.3
    assert (out["tasks"], out["attempted"], out["passed"], out["pass_at_1"]) == (2, 0, 0, 0.0)


@pytest.mark.process
@pytest.mark.parametrize("args, status, needle", [
    (["--benchmark", "mbpp"], 2, "invalid choice"),
    (["--html", "/no/such/dir/r.html"], 2, "does not exist"),
])
def test_cli_report_bad_input(history, args, status, needle):
    proc = run("report", "--home", str(history), *args)
    assert proc.returncode == status and needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


@pytest.mark.process
def test_cli_report_without_history(home):
    proc = run("report", "--home", str(home))
    assert proc.returncode == 1 and "no history database" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.process
def test_empty_history_renders(home, tmp_path):
    with Store.open(home / "history.db"):
        pass
    proc = run("report", "--home", str(home), "--html", str(tmp_path / "r.html"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["scores"] == 0
    assert (tmp_path / "r.html").read_text().count("no data yet") == 3


@pytest.mark.unit
def test_svg_line_chart_scales_and_escapes():
    svg = line_chart({"a<b": [(0, 0.0), (10, 1.0)], "c": [(5, 0.5)]}, title="t&t", y_min=0, y_max=1)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg") and "a&lt;b" in svg and "t&amp;t" in svg
    (poly,) = [e for e in root.iter() if e.tag.endswith("polyline")]
    (x0, y0), (x1, y1) = [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
    assert x0 < x1 and y0 > y1  # up is better: 1.0 is drawn above 0.0


@pytest.mark.process
def test_old_harness_scores_can_be_left_out(history):
    """Scores record their judge; those of the old one-process harness (no `judge` in details)
    are counted, shown by default and left out with --judge current; suspicious ones are counted."""
    import sqlite3

    con = sqlite3.connect(history / "history.db")
    ids = [r[0] for r in con.execute("SELECT id FROM scores WHERE skill = 'lists' ORDER BY created_at")]
    for n, sid in enumerate(ids):
        con.execute("UPDATE scores SET details = ? WHERE id = ?",
                    (json.dumps({"judge": 2, "suspicious": n == 0, "signs": ["blocked: gc.get_objects"] * (n == 0)}), sid))
    con.commit()
    con.close()
    everything = json.loads(run("report", "--home", str(history), "--json").stdout)
    assert everything["scores"] == 42
    assert everything["judge"] == {"current": 2, "shown": "all", "by_version": {"1": 30, "2": 12}, "suspicious": 1}
    proc = run("report", "--home", str(history), "--judge", "current", "--json")
    current = json.loads(proc.stdout)
    assert proc.returncode == 0 and current["scores"] == 12 and current["judge"]["shown"] == "current"
    assert {r["skill"] for r in current["skills"] if r["attempts"]} == {"lists"}
    text = run("report", "--home", str(history)).stdout
    assert "30 score(s) from the old one-process harness, included" in " ".join(text.split())
    kinds = dict(sqlite3.connect(history / "history.db").execute("SELECT name, type FROM sqlite_master"))
    assert kinds["scores"] == "table"  # the filter was a TEMP view of the report's connection only
