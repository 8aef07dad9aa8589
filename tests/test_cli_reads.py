"""Reads on a home with no history (a mistyped --home): one line, exit 1, nothing created."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import cogloop_cmd

pytestmark = pytest.mark.process

NO_HISTORY = "no history database here"


@pytest.mark.parametrize("argv", [
    ["history"], ["history", "queue"], ["history", "progress", "--json"], ["task", "list"],
    ["task", "show", "abc"], ["task", "cancel", "abc"], ["export"], ["report"], ["wait", "--timeout", "1"],
])
def test_reads_on_a_mistyped_home_fail_and_create_nothing(tmp_path, argv):
    typo = tmp_path / "no-such-home"
    dest = tmp_path / "export-dest"
    extra = [str(dest)] if argv == ["export"] else []
    proc = subprocess.run(cogloop_cmd(*argv, *extra, "--home", str(typo)), capture_output=True, text=True)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr == f"cogloop: {typo / 'history.db'}: {NO_HISTORY} (start the daemon with `cogloop up` " \
                          "or add a task first)\n"
    assert proc.stdout == ""
    assert not typo.exists() and not dest.exists()


def test_reads_in_an_existing_empty_folder_create_nothing_there(home):
    proc = subprocess.run(cogloop_cmd("task", "list", "--home", str(home)), capture_output=True, text=True)
    assert proc.returncode == 1 and NO_HISTORY in proc.stderr
    assert list(home.iterdir()) == []
