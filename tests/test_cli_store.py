"""The store's CLI commands with no daemon: task add/list/show/cancel, history, export,
import tasks. Happy paths, bad input, exit statuses, one-line errors, --json."""

from __future__ import annotations

import json
import subprocess

import pytest

from ops.cli import main
from store import Store
from store.service import handle
from tests.conftest import cogloop_cmd
from tests.storehelp import judge, task


def run(capsys, *argv):
    """main() in-process; argparse's usage errors leave through SystemExit."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def files(tmp_path):
    (tmp_path / "hidden.py").write_text("assert candidate('ab') == 'ba'\n")
    (tmp_path / "visible.py").write_text("def test_one():\n    assert candidate('a') == 'a'\n")
    (tmp_path / "ref.py").write_text("def rev(s):\n    return s[::-1]\n")
    return tmp_path


def add_flags(files, **extra):
    argv = ["task", "add", "--title", "Reverse", "--prompt", "def rev(s): ...", "--skill", "strings",
            "--difficulty", "2", "--entry-point", "rev", "--hidden-tests", files / "hidden.py",
            "--visible-tests", files / "visible.py", "--reference", files / "ref.py"]
    for k, v in extra.items():
        argv += [f"--{k.replace('_', '-')}", v]
    return argv


@pytest.mark.unit
def test_task_add_from_flags_then_list_show_cancel(capsys, home, files):
    rc, out, err = run(capsys, *add_flags(files, priority=4), "--home", home)
    assert rc == 0 and err == ""
    tid = out.strip()
    with Store.open(home / "history.db") as s:
        t = s.get_task(tid, private=True)
    assert (t["hidden_tests"], t["priority"], t["source"]) == ("assert candidate('ab') == 'ba'\n", 4, "user")

    rc, out, _ = run(capsys, "task", "list", "--home", home, "--json")
    assert rc == 0 and [t["id"] for t in json.loads(out)["tasks"]] == [tid]
    rc, out, _ = run(capsys, "task", "list", "--home", home)
    assert "Reverse" in out and tid[:12] in out and "queued" in out
    rc, out, _ = run(capsys, "task", "list", "--status", "passed", "--home", home)
    assert out.strip() == "no tasks"

    rc, out, _ = run(capsys, "task", "show", tid, "--home", home, "--json")
    shown = json.loads(out)["task"]
    assert shown["status"] == "queued" and "hidden_tests" not in shown and "reference" not in shown
    rc, out, _ = run(capsys, "task", "show", tid[:8], "--home", home, "--private")
    assert rc == 0 and "candidate('ab')" in out and "hidden_tests:" in out

    rc, out, _ = run(capsys, "task", "cancel", tid, "--home", home, "--json")
    assert rc == 0 and json.loads(out) == {"id": tid, "status": "cancelled"}
    rc, out, _ = run(capsys, "task", "cancel", tid, "--home", home)
    assert rc == 0 and out.strip() == f"{tid} cancelled"


@pytest.mark.unit
def test_task_add_invalid_is_exit_2_one_line_and_writes_nothing(capsys, home, files):
    rc, out, err = run(capsys, *add_flags(files, difficulty=12), "--entry-point", "not valid", "--home", home)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cogloop: task 'Reverse': invalid: ")
    assert "difficulty: expected 1..10, got 12" in err and "entry_point: not a valid Python identifier" in err
    rc, out, err = run(capsys, "task", "add", "--title", "x", "--home", home)
    assert rc == 2 and "prompt: missing (required)" in err and "hidden_tests: missing" in err
    with Store.open(home / "history.db") as s:
        assert s.list_tasks() == []


@pytest.mark.unit
@pytest.mark.parametrize("argv, expected", [
    (["task", "add", "--hidden-tests", "/nonexistent/h.py"], "--hidden-tests /nonexistent/h.py: file not found"),
    (["task", "add", "--file", "/nonexistent/t.json"], "task file not found"),
    (["task", "add", "--file", "X", "--title", "t"], "use either --file or the task flags"),
    (["task", "add", "--difficulty", "hard"], "usage error: argument --difficulty: invalid int value"),
    (["task", "list", "--status", "sleeping"], "usage error: argument --status: invalid choice"),
    (["task", "list", "--limit", "0"], "--limit: expected a positive number"),
    (["history", "nonsense"], "usage error: argument query: invalid choice"),
    (["history", "--limit", "-3"], "--limit: expected a positive number"),
    (["import", "sheep", "f"], "usage error: argument SOURCE: invalid choice: 'sheep'"),
])
def test_usage_errors_exit_2_with_one_line(capsys, home, argv, expected):
    rc, out, err = run(capsys, *argv, "--home", home)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and expected in err


@pytest.mark.unit
def test_group_without_subcommand_is_a_usage_error(capsys):
    for group, expected in (("task", "SUBCOMMAND"), ("import", "SOURCE")):
        rc, out, err = run(capsys, group)
        assert rc == 2 and err == (f"cogloop: usage error: the following arguments are required: {expected} "
                                   f"(try 'cogloop {group} --help')\n")


@pytest.mark.unit
def test_not_found_and_wrong_state_exit_1(capsys, home):
    Store.open(home / "history.db").close()
    rc, _, err = run(capsys, "task", "show", "nope", "--home", home)
    assert rc == 1 and err == "cogloop: no task with id 'nope'\n"
    rc, _, err = run(capsys, "task", "cancel", "nope", "--home", home)
    assert rc == 1 and err == "cogloop: no task with id 'nope'\n"
    with Store.open(home / "history.db") as s:
        tid = s.add_task(task(1))
        judge(s, s.lease("b", 60))
    rc, _, err = run(capsys, "task", "cancel", tid, "--home", home)
    assert rc == 1 and err == f"cogloop: task {tid} is already passed; nothing to cancel\n"


@pytest.mark.unit
def test_task_add_from_files(capsys, home, tmp_path):
    one = tmp_path / "one.toml"
    one.write_text('title = "T"\nprompt = "def f(): ..."\nskill = "misc"\ndifficulty = 1\n'
                   'entry_point = "f"\nhidden_tests = "assert candidate() is None"\n')
    rc, out, err = run(capsys, "task", "add", "--file", one, "--home", home, "--json")
    assert rc == 0 and len(json.loads(out)["id"]) == 32

    many = tmp_path / "many.json"
    many.write_text(json.dumps({"tasks": [task(1, id="a1"), task(2, difficulty=0), task(3, id="a3")]}))
    rc, out, err = run(capsys, "task", "add", "--file", many, "--home", home)
    assert rc == 1 and out.split() == ["a1", "a3"]
    assert err == f"cogloop: {many}: #2: task 'Add #2': invalid: difficulty: expected 1..10, got 0\n"

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(task(1, colour="red")))
    rc, out, err = run(capsys, "task", "add", "--file", bad, "--home", home)
    assert rc == 2 and err.startswith(f"cogloop: {bad}: invalid: colour: unknown field")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    rc, _, err = run(capsys, "task", "add", "--file", broken, "--home", home)
    assert rc == 2 and "not valid JSON: line 1" in err
    with Store.open(home / "history.db") as s:
        assert len(s.list_tasks()) == 3


def _record_pass(home, n=1, skill="math"):
    with Store.open(home / "history.db") as s:
        tid = s.add_task(task(n, skill=skill))
        lease = s.lease("builder-1", 60)
        aid = lease["attempt_id"]
        handle(s, "attempt.record", {"attempt": {"id": aid, "task_id": tid, "status": "passed", "prompt": "P",
                                                 "response": "R", "code": "def add(a, b):\n    return a + b\n",
                                                 "llm_settings": {"model": "m"}}},
               sender="builder-1", archive_dir=home / "code_archive")
        handle(s, "score.record", {"score": {"attempt_id": aid, "task_id": tid, "total": 0.9, "passed": True},
                                   "lease_id": lease["lease_id"], "code": "def add(a, b):\n    return a + b\n"},
               sender="scorer", archive_dir=home / "code_archive")
        s.record_reflection({"attempt_id": aid, "task_id": tid, "lesson": "test edge cases"})
        s.snapshot_profile({"ability": {skill: 0.7}})
        s.log_event("restart", "supervisor", {"actor": "builder-1"})
        return tid


@pytest.mark.unit
def test_history_queries(capsys, home):
    tid = _record_pass(home)
    with Store.open(home / "history.db") as s:
        queued = s.add_task(task(2))
    for query, needle in (("recent", tid[:12]), ("progress", "math"), ("daily", "math"), ("queue", queued[:12])):
        rc, out, err = run(capsys, "history", query, "--home", home)
        assert rc == 0 and needle in out, (query, out)
        rc, out, err = run(capsys, "history", query, "--home", home, "--json", "--limit", "1")
        data = json.loads(out)
        assert data["query"] == query and len(data["rows"]) == 1
    rc, out, _ = run(capsys, "history", "--home", home, "--json")
    assert json.loads(out)["rows"][0]["score"] == 0.9


@pytest.mark.unit
def test_history_lessons_shows_state_and_effect(capsys, home):
    with Store.open(home / "history.db") as s:
        shown_id = s.add_lesson("math", "Add a and b.", "reflection")
        retired = s.add_lesson("math", "Check types.", "mined")
        s.db.execute("UPDATE lessons SET state = 'retired' WHERE id = ?", [retired])
        for n, (settings, passed) in enumerate(((
                {"lesson_ids": [shown_id]}, True), ({"lessons_held": [shown_id]}, False))):
            tid = s.add_task(task(n, max_attempts=1))
            lease = s.lease("builder-1", 60)
            s.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "passed", "llm_settings": settings})
            s.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0, "passed": passed})
    rc, out, err = run(capsys, "history", "lessons", "--home", home, "--json")
    rows = {r["id"]: r for r in json.loads(out)["rows"]}
    assert rc == 0 and rows[shown_id]["state"] == "trial" and rows[retired]["state"] == "retired"
    assert (rows[shown_id]["shown"], rows[shown_id]["held"], rows[shown_id]["effect"]) == (1, 1, 1.0)
    rc, out, err = run(capsys, "history", "lessons", "--home", home)
    assert rc == 0 and "retired" in out and "Add a and b." in out


@pytest.mark.unit
def test_history_on_an_empty_history(capsys, home):
    Store.open(home / "history.db").close()
    rc, out, err = run(capsys, "history", "--home", home)
    assert rc == 0 and out.startswith("no rows") and err == ""


@pytest.mark.unit
def test_export_layout_and_import_round_trip(capsys, home, tmp_path):
    tid = _record_pass(home)
    with Store.open(home / "history.db") as s:
        s.add_tasks([task(2, id="q2", source="trainer", priority=3), task(3, id="q3")])
    (home / "logs").mkdir(exist_ok=True)
    (home / "logs" / "memory.log").write_text("started\n")
    rc, out, err = run(capsys, "export", tmp_path / "snap", "--home", home, "--json")
    assert rc == 0, err
    summary = json.loads(out)
    assert summary["tasks"] == 3 and summary["scores"] == 1 and summary["solutions"] == 1 and summary["logs"] == 1
    mem = tmp_path / "snap" / "memory"
    for name in ("builder_profile", "score_log", "skill_map", "task_queue", "system_log"):
        assert (mem / "core" / f"{name}.json").is_file()
    for folder in ("advanced", "task_memory", "code_archive", "logs"):
        assert (mem / folder).is_dir()
    core = {n: json.loads((mem / "core" / f"{n}.json").read_text())
            for n in ("builder_profile", "score_log", "skill_map", "task_queue", "system_log")}
    assert core["builder_profile"]["profile"] == {"ability": {"math": 0.7}}
    assert core["score_log"]["scores"][0]["total"] == 0.9
    assert core["skill_map"]["skills"]["math"]["scores"]["passed"] == 1
    assert core["skill_map"]["skills"]["math"]["lessons"] == ["test edge cases"]
    assert core["system_log"]["events"][0]["body"] == {"actor": "builder-1"}
    memory_file = json.loads((mem / "task_memory" / f"{tid}.json").read_text())
    assert memory_file["attempts"][0]["response"] == "R" and "hidden_tests" not in memory_file["task"]
    assert (mem / "code_archive" / "math" / f"{tid}.py").read_text().startswith("def add")
    assert (home / "code_archive" / "math" / f"{tid}.py").is_file()  # archived when the pass was scored
    assert (mem / "logs" / "memory.log").read_text() == "started\n"

    queue_file = mem / "core" / "task_queue.json"
    other = tmp_path / "other"
    rc, out, err = run(capsys, "import", "tasks", queue_file, "--home", other, "--json")
    assert rc == 0 and err == "" and sorted(json.loads(out)["ids"]) == sorted([tid, "q2", "q3"])
    rc, out, err = run(capsys, "import", "tasks", queue_file, "--home", other)  # idempotent by id
    assert rc == 0
    with Store.open(other / "history.db") as s:
        assert s.queue_stats()["queued"] == 3 and s.queue_stats()["total"] == 3
        original = [t for t in core["task_queue"]["tasks"] if t["id"] == "q2"][0]
        copy = s.get_task("q2", private=True)
        for key in ("title", "prompt", "hidden_tests", "edge_tests", "reference", "constraints", "source", "priority"):
            assert copy[key] == original[key]
    # Default DIR is HOME.
    rc, out, err = run(capsys, "export", "--home", home)
    assert rc == 0 and (home / "memory" / "core" / "task_queue.json").is_file()


@pytest.mark.unit
def test_import_reports_conflicts_and_bad_files(capsys, home, tmp_path):
    f = tmp_path / "q.json"
    f.write_text(json.dumps({"tasks": [task(1, id="x1"), "not a task"]}))
    rc, out, err = run(capsys, "import", "tasks", f, "--home", home)
    assert rc == 1 and out == f"{f}: 1 new, 0 already present, 0 updated, 1 refused\n"
    assert err == f"cogloop: {f}: #2: task: invalid: task: expected a map of fields, got str\n"
    f.write_text(json.dumps({"tasks": [task(1, id="x1", title="changed")]}))
    rc, out, err = run(capsys, "import", "tasks", f, "--home", home, "--json")  # not leased yet: replaced
    assert rc == 0 and json.loads(out)["updated"] == ["x1"]
    with Store.open(home / "history.db") as s:
        s.lease("b", 60)
    f.write_text(json.dumps({"tasks": [task(1, id="x1", title="changed again")]}))
    rc, out, err = run(capsys, "import", "tasks", f, "--home", home, "--json")
    assert rc == 1 and "a different task with id 'x1' already exists and is leased" in json.loads(out)["errors"][0]
    rc, _, err = run(capsys, "import", "tasks", tmp_path / "missing.json", "--home", home)
    assert rc == 2 and "task file not found" in err


@pytest.mark.process
def test_corrupt_database_is_one_line_exit_1(capsys, home, tmp_path):
    (home / "history.db").write_bytes(b"garbage" * 1000)
    (tmp_path / "t.json").write_text(json.dumps(task(1)))
    for argv in (["history"], ["export"], ["import", "tasks", tmp_path / "t.json"]):
        rc, out, err = run(capsys, *argv, "--home", home)
        assert (rc, out) == (1, "") and err.count("\n") == 1 and "not a valid SQLite database" in err, argv
    # and from a real process: no traceback, one line, for a read and for a write
    for argv in (["task", "list"], ["task", "cancel", "x"]):
        proc = subprocess.run(cogloop_cmd(*argv, "--home", str(home)), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.count("\n") == 1 and "not a valid SQLite database" in proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
