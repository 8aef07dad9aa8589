"""Task ids on the command line: any unique prefix works for every command that takes an id; an
ambiguous one lists the matches (exit 2); not found and nothing to do exit 1, with or without a
daemon running (Memory answers not_found / conflict, no longer bad_request)."""

from __future__ import annotations

import subprocess

import pytest

from store import Store
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import memory_daemon_if
from tests.storehelp import task

# Ids chosen so that prefixes collide: 'ab12' is shared, 'ab12c' and 'ab12d' are not.
IDS = ("ab12c" + "0" * 27, "ab12d" + "0" * 27, "ff" + "1" * 30)


def cli(home, *argv):
    proc = subprocess.run(cogloop_cmd(*argv, "--home", str(home)), capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def fill(home) -> None:
    with Store.open(home / "history.db") as s:
        for n, tid in enumerate(IDS):
            s.add_task(task(n, id=tid))
        lease = s.lease("b", 60)  # the first in queue order: IDS[0]
        assert lease["task"]["id"] == IDS[0]
        s.record_score({"attempt_id": lease["attempt_id"], "task_id": IDS[0], "total": 1.0, "passed": True},
                       lease_id=lease["lease_id"])  # the verdict completes the task


@pytest.fixture(params=["no daemon", "daemon"])
def home_with_tasks(request, home):
    fill(home)
    with memory_daemon_if(request.param == "daemon", home):
        yield home


@pytest.mark.process
def test_task_list_ids_are_accepted_by_show_and_cancel(home_with_tasks):
    home = home_with_tasks
    rc, out, err = cli(home, "task", "list")
    shown = [line.split()[0] for line in out.splitlines()[1:]]
    assert rc == 0 and sorted(shown) == sorted(t[:12] for t in IDS)
    rc, out, err = cli(home, "task", "show", IDS[1][:12])
    assert rc == 0 and f"id: {IDS[1]}" in out, err
    rc, out, err = cli(home, "task", "cancel", IDS[1][:12])
    assert (rc, out, err) == (0, f"{IDS[1]} cancelled\n", "")
    rc, out, err = cli(home, "task", "cancel", "ff")  # any unique prefix, however short
    assert (rc, out) == (0, f"{IDS[2]} cancelled\n"), err
    rc, out, err = cli(home, "task", "cancel", IDS[2])  # again: nothing changes, still done
    assert (rc, out) == (0, f"{IDS[2]} cancelled\n"), err


@pytest.mark.process
def test_ambiguous_prefix_lists_the_matches(home_with_tasks):
    for command in ("show", "cancel"):
        rc, out, err = cli(home_with_tasks, "task", command, "ab12")
        assert rc == 2 and out == "" and len(err.splitlines()) == 1, err
        assert "matches 2 tasks" in err and IDS[0] in err and IDS[1] in err and "Add #1" in err
    with Store.open(home_with_tasks / "history.db", readonly=True) as s:
        assert s.get_task(IDS[1])["status"] == "queued"  # nothing was cancelled


@pytest.mark.process
def test_not_found_and_nothing_to_do_exit_1(home_with_tasks):
    for command in ("show", "cancel"):
        assert cli(home_with_tasks, "task", command, "0abc") == (1, "", "cogloop: no task with id '0abc'\n")
    rc, out, err = cli(home_with_tasks, "task", "cancel", IDS[0][:12])  # passed already
    assert (rc, out, err) == (1, "", f"cogloop: task {IDS[0]} is already passed; nothing to cancel\n")


@pytest.mark.unit
def test_prefix_characters_are_literal(home):
    fill(home)
    with Store.open(home / "history.db", readonly=True) as s:
        for typed in ("ab1_", "ab%", "%", "_"):
            with pytest.raises(Exception, match="no task with id"):
                s.resolve_task_id(typed)
        assert s.resolve_task_id(IDS[0]) == IDS[0]
