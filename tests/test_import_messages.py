"""Import messages say what changed: new, already present, updated (a second import of the same
tasks changes nothing and says so), with or without a daemon."""

from __future__ import annotations

import json
import subprocess

import pytest

from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import memory_daemon_if
from tests.storehelp import task


def cli(home, *argv):
    proc = subprocess.run(cogloop_cmd(*argv, "--home", str(home)), capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(params=["no daemon", "daemon"])
def home_maybe_daemon(request, home):
    Store.open(home / "history.db").close()
    with memory_daemon_if(request.param == "daemon", home):
        yield home


@pytest.mark.process
def test_humaneval_twice_says_nothing_changed(home_maybe_daemon):
    home = home_maybe_daemon
    first = cli(home, "import", "humaneval", "--limit", "5")
    assert first == (0, "HumanEval, 5 problems (humaneval-0 .. humaneval-4): 5 new, 0 already present, "
                        "0 updated\n", "")
    second = cli(home, "import", "humaneval", "--limit", "5")
    assert second == (0, "HumanEval, 5 problems (humaneval-0 .. humaneval-4): 0 new, 5 already present, "
                         "0 updated; nothing changed\n", "")
    rc, out, _ = cli(home, "import", "humaneval", "--limit", "6", "--json")
    data = json.loads(out)
    assert rc == 0 and data["new"] == ["humaneval-5"] and data["present"] == [f"humaneval-{i}" for i in range(5)]
    assert data["updated"] == [] and data["ids"] == [f"humaneval-{i}" for i in range(6)]


@pytest.mark.process
def test_import_tasks_counts_new_present_updated(home_maybe_daemon, tmp_path):
    home = home_maybe_daemon
    f = tmp_path / "queue.json"
    f.write_text(json.dumps({"tasks": [task(1, id="t1"), task(2, id="t2")]}))
    assert cli(home, "import", "tasks", str(f)) == (0, f"{f}: 2 new, 0 already present, 0 updated\n", "")
    assert cli(home, "import", "tasks", str(f)) == (0, f"{f}: 0 new, 2 already present, 0 updated; "
                                                      "nothing changed\n", "")
    f.write_text(json.dumps({"tasks": [task(1, id="t1", prompt="def add(a, b):\n    '''Add.'''\n"),
                                       task(2, id="t2"), task(3, id="t3")]}))
    assert cli(home, "import", "tasks", str(f)) == (0, f"{f}: 1 new, 1 already present, 1 updated\n", "")
    with Store.open(home / "history.db", readonly=True) as s:
        assert "'''Add.'''" in s.get_task("t1")["prompt"]


@pytest.mark.unit
def test_store_refuses_to_change_a_leased_task(home):
    with Store.open(home / "history.db") as s:
        assert s.add_tasks_counted([task(1, id="t1")])["new"] == ["t1"]
        s.lease("builder-1", 60)
        out = s.add_tasks_counted([task(1, id="t1", title="other"), task(1, id="t1")])
        assert out["present"] == ["t1"] and out["updated"] == [] and len(out["errors"]) == 1
        assert "already exists and is leased after 1 lease(s); it is kept as it is" in out["errors"][0]
        assert s.get_task("t1")["title"] == "Add #1"
