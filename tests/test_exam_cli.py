"""`cogloop exam` and the report's learning section, as a user runs them (real CLI processes, the
real sandbox, a scripted model)."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import wait_for
from tests.fakellm import FakeLLM
from tests.learnllm import LearningModel

pytestmark = pytest.mark.process


def cli(home, *args, timeout=240):
    return subprocess.run(cogloop_cmd(*args, "--home", str(home)), capture_output=True, text=True, timeout=timeout)


def test_create_once_then_it_is_fixed(home):
    first = cli(home, "exam", "create", "--tasks", "6", "--json")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["tasks"] == 6 and made["parts"]["seen"] + made["parts"]["heldout"] == 6 and made["reserved"]
    again = cli(home, "exam", "create", "--tasks", "9")
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert f"exam {made['id']} exists" in again.stderr and "fixed once created" in again.stderr
    with Store.open(home / "history.db", readonly=True) as s:
        assert len(s.exam_tasks(made["id"])) == 6


@pytest.mark.parametrize("args, code, words", [
    (("exam", "create", "--tasks", "0"), 2, "tasks: expected 1 to 2000"),
    (("exam", "create", "--skills", "cooking"), 2, "unknown 'cooking'"),
    (("exam", "run", "--arms", "plain,bogus"), 2, "unknown arm 'bogus'"),
    (("exam", "run", "--limit", "0"), 2, "--limit"),
    (("exam", "show",), 1, "no exam yet"),
])
def test_bad_input_is_one_line_and_changes_nothing(home, args, code, words):
    out = cli(home, *args)
    assert out.returncode == code and words in out.stderr and out.stderr.count("\n") == 1, out.stderr
    if (home / "history.db").exists():
        with Store.open(home / "history.db", readonly=True) as s:
            assert s.exams() == [] and s.exam_runs() == []


@pytest.mark.timeout(300)
def test_runs_side_by_side_cached_plain_and_the_report_draws_the_curve(home):
    assert cli(home, "exam", "create", "--tasks", "4", "--difficulties", "1").returncode == 0
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model) as fake:
        first = cli(home, "exam", "run", "--arms", "plain,loop,repair", "--llm-url", fake.url, "--json")
        assert first.returncode == 0, first.stderr
        calls = model.calls
        second = cli(home, "exam", "run", "--arms", "plain,loop,repair", "--llm-url", fake.url)
        assert second.returncode == 0, second.stderr
    s1 = json.loads(first.stdout)
    assert s1["status"] == "done" and s1["order"] == ["plain", "loop", "repair"] and s1["model"] == "fake-model"
    assert {a: f["n"] for a, f in s1["arms"].items()} == {"plain": 4, "loop": 4, "repair": 4}
    assert {x["label"] for x in s1["lifts"]} == {"loop", "repair"}
    # the second run asked the model only for the loop arm: plain and repair came from the cache
    assert model.calls - calls <= 4 + 4 * 2  # loop: at most one try and two repairs per task
    assert "plain" in second.stdout and "cached" in second.stdout and "exam run" in second.stdout

    report = cli(home, "report", "--json")
    learning = json.loads(report.stdout)["learning"]
    assert len(learning["runs"]) == 2 and set(learning["curve"]) == {"plain", "loop", "repair"}
    assert all(len(points) == 2 for points in learning["curve"].values())
    assert learning["latest"]["arms"]["plain"]["cached"] == learning["latest"]["arms"]["repair"]["cached"] == 4
    text = cli(home, "report").stdout
    assert "learning curve" in text and "loop: loop - plain" in text
    html = home / "r.html"
    assert cli(home, "report", "--html", str(html)).returncode == 0
    page = html.read_text()
    assert "Learning curve" in page and page.count("<polyline") >= 3 and "held-out-generator" in page
    shown = cli(home, "exam", "show", "--json")
    assert json.loads(shown.stdout)["exam"]["tasks"] == 4


@pytest.mark.timeout(240)
def test_sigterm_stops_a_run_after_the_current_task_and_keeps_its_results(home):
    assert cli(home, "exam", "create", "--tasks", "6", "--difficulties", "1").returncode == 0
    model = LearningModel([]).watch(home / "history.db")

    def slow(body):
        time.sleep(0.4)
        return model(body)
    with FakeLLM(default=slow) as fake:
        proc = subprocess.Popen(cogloop_cmd("exam", "run", "--arms", "plain", "--llm-url", fake.url, "--home", str(home)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def results():
            try:
                with Store.open(home / "history.db", readonly=True) as s:
                    return s.one("SELECT count(*) AS n FROM exam_results")["n"]
            except Exception:
                return 0
        wait_for(results, timeout=120, what="a first result")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    with Store.open(home / "history.db", readonly=True) as s:
        run = s.exam_runs()[0]
        assert run["status"] == "stopped" and "of 6 results" in run["note"]
        assert 1 <= len(s.exam_results(run["id"])) < 6


def test_a_run_left_running_by_a_dead_process_is_marked_stopped(home):
    assert cli(home, "exam", "create", "--tasks", "2", "--difficulties", "1").returncode == 0
    dead = subprocess.Popen(["true"])
    dead.wait()
    with Store.open(home / "history.db") as s:
        s.start_exam_run({"id": "ghost", "exam_id": s.exam()["id"], "pid": dead.pid})
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model) as fake:
        assert cli(home, "exam", "run", "--arms", "plain", "--llm-url", fake.url).returncode == 0
    with Store.open(home / "history.db", readonly=True) as s:
        ghost = next(r for r in s.exam_runs() if r["id"] == "ghost")
        assert ghost["status"] == "stopped" and "process is gone" in ghost["note"]


def test_a_run_warns_when_training_holds_exam_prompts(home):
    made = json.loads(cli(home, "exam", "create", "--tasks", "3", "--difficulties", "1", "--json").stdout)
    with Store.open(home / "history.db") as s:
        leaked = {**s.exam_tasks(made["id"])[0]["task"], "id": "by-hand", "source": "user"}
        s.add_task(leaked)
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model) as fake:
        out = cli(home, "exam", "run", "--arms", "plain", "--llm-url", fake.url, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["leaks"]["prompts"] == 1


def test_a_run_takes_the_first_configured_endpoint_with_its_model_and_key(home):
    # issue 14: [[llm.endpoints]] (url, model, api_key), not only llm.url; a refused key is one line
    made = json.loads(cli(home, "exam", "create", "--tasks", "2", "--difficulties", "1", "--json").stdout)
    model = LearningModel([]).watch(home / "history.db")
    with FakeLLM(default=model, models=["other-model", "coder"], api_key="sk-exam") as fake:
        conf = home / "cogloop.toml"
        conf.write_text(f'[[llm.endpoints]]\nurl = "{fake.url}"\nmodel = "coder"\napi_key = "sk-wrong"\n')
        refused = cli(home, "exam", "run", "--arms", "plain")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
        assert f"the LLM endpoint {fake.url}: HTTP 401: Incorrect API key provided" in refused.stderr
        assert not fake.chat_requests
        conf.write_text(f'[[llm.endpoints]]\nurl = "{fake.url}"\nmodel = "coder"\napi_key = "sk-exam"\n')
        out = cli(home, "exam", "run", "--arms", "plain", "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["model"] == "coder" and json.loads(out.stdout)["exam"] == made["id"]
        assert {r["model"] for r in fake.chat_requests} == {"coder"}
        assert {r["auth"] for r in fake.requests} == {"Bearer sk-wrong", "Bearer sk-exam"}
