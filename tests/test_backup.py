"""`cogloop backup`: SQLite's online backup, consistent while another process writes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import cogloop_cmd
from tests.operatorhelp import fill, improving_runs

pytestmark = pytest.mark.process

WRITER = textwrap.dedent("""
    import sys, time
    from store import Store
    # Log events as fast as possible, each in its own transaction, until told to stop.
    with Store.open(sys.argv[1]) as s:
        n = 0
        print("ready", flush=True)
        while True:
            s.log_event("test.tick", "writer", {"n": n, "pad": "x" * 2000})
            n += 1
""")


def run(*args):
    return subprocess.run(cogloop_cmd(*args), capture_output=True, text=True, timeout=120)


def count(path, table="events"):
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_backup_copies_the_history(home, tmp_path):
    fill(home / "history.db", improving_runs("strings", 12))
    target = tmp_path / "copy.db"
    proc = run("backup", str(target), "--home", str(home), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["integrity"] == "ok" and out["target"] == str(target) and out["bytes"] == target.stat().st_size
    assert count(target, "scores") == 12 and count(target, "tasks") == 12
    assert not (tmp_path / "copy.db-wal").exists()  # a standalone file
    assert list(tmp_path.glob(".copy.db.*")) == []  # no temporary left behind


def test_backup_while_another_process_writes(home, tmp_path):
    fill(home / "history.db", improving_runs("strings", 3))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(home / "history.db")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        seen = []
        for i in range(3):
            target = tmp_path / f"b{i}.db"
            proc = run("backup", str(target), "--home", str(home))
            assert proc.returncode == 0, proc.stderr
            seen.append(count(target))  # each copy passes integrity_check
        assert writer.poll() is None, "the writer must still be running: the copies were taken under load"
    finally:
        writer.kill()
        writer.wait()
    assert seen == sorted(seen) and seen[-1] > seen[0] > 0  # later copies hold more: taken live
    assert count(home / "history.db") >= seen[-1]


def test_existing_target_needs_force(home, tmp_path):
    fill(home / "history.db", improving_runs("strings", 2))
    target = tmp_path / "copy.db"
    target.write_text("keep me")
    proc = run("backup", str(target), "--home", str(home))
    assert proc.returncode == 2 and "already exists (use --force" in proc.stderr
    assert target.read_text() == "keep me"
    proc = run("backup", str(target), "--home", str(home), "--force")
    assert proc.returncode == 0 and count(target, "scores") == 2


@pytest.mark.parametrize("make_db, target, status, needle", [
    (False, "copy.db", 1, "no history database to back up"),
    (True, "missing/dir/copy.db", 2, "no such directory"),
    (True, "home/history.db", 2, "is the live database itself"),
    (True, "home/../home/history.db --force", 2, "is the live database itself"),
])
def test_bad_input(home, tmp_path, make_db, target, status, needle):
    if make_db:
        fill(home / "history.db", improving_runs("strings", 1))
    path, *flags = target.split()
    proc = run("backup", str(tmp_path / path), "--home", str(home), *flags)
    assert proc.returncode == status and needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_missing_argument_is_usage_error(home):
    proc = run("backup", "--home", str(home))
    assert proc.returncode == 2 and "usage error" in proc.stderr
