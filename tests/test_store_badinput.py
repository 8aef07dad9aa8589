"""Bad input at the storage layer: a corrupt file, a database locked by another writer, a full
disk. Each gives one clear StoreError line and leaves no partial records."""

from __future__ import annotations

import multiprocessing
import resource
import signal
import subprocess
import sys

import pytest

from store import Store, StoreCorrupt, StoreFull, StoreLocked
from tests.storehelp import task


@pytest.mark.unit
def test_garbage_file_is_corrupt_and_untouched(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"this is not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt) as err:
        Store.open(path)
    msg = str(err.value)
    assert str(path) in msg and "not a valid SQLite database" in msg and "\n" not in msg
    assert path.read_bytes() == before


@pytest.mark.unit
def test_damaged_pages_are_reported_as_corrupt(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as s:
        s.add_tasks([task(n, prompt="p" * 3000) for n in range(50)])
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data), page):  # keep page 1 (the schema), wreck the rest
        data[start:start + page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match="damaged"):
        with Store.open(path) as s:
            s.list_tasks()


_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO events (id, ts, kind, actor, body) VALUES ('held', 'now', 'k', 'a', '{}')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.mark.process
def test_locked_by_another_writer_waits_then_fails_clearly(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as s:
        s.add_task(task(0))
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with Store.open(path, busy_timeout_s=0.2) as s:
            with pytest.raises(StoreLocked) as err:
                s.add_task(task(1))
            assert "locked by another writer (gave up after 0.2s)" in str(err.value)
            with pytest.raises(StoreLocked):
                s.lease("b1", 60)
            assert len(s.list_tasks()) == 1  # WAL: reads go on while another process writes
    finally:
        holder.communicate("\n", timeout=10)
    with Store.open(path) as s:
        assert s.get_task(s.list_tasks()[0]["id"])["status"] == "queued"
        s.add_task(task(1))  # the lock is gone: writing works again
        assert len(s.list_tasks()) == 2


def _fill_disk(path: str, limit: int, out) -> None:
    """Child process: a file-size limit stands in for a full disk (no root, no tmpfs needed)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of dying
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    s = Store.open(path)
    results = []
    for batch in ([task(n, prompt="x" * 50_000) for n in range(100, 140)], [task(999)]):
        try:
            ids, _ = s.add_tasks(batch)
            results.append(("ok", len(ids)))
        except StoreFull as exc:
            results.append((type(exc).__name__, str(exc)))
    s.close()
    out.put(results)


@pytest.mark.process
def test_full_disk_is_a_clear_error_and_leaves_no_partial_records(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as s:
        s.add_tasks([task(n) for n in range(5)])
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_fill_disk, args=(str(path), path.stat().st_size + 500_000, out))
    child.start()
    results = out.get(timeout=60)
    child.join(timeout=30)
    assert child.exitcode == 0
    kind, message = results[0]
    assert kind == "StoreFull" and "disk full (or file-size limit reached); nothing was written" in message
    assert "\n" not in message
    assert results[1] == ("ok", 1)  # the store still works for what fits
    with Store.open(path) as s:
        titles = {t["title"] for t in s.list_tasks(limit=1000)}
        assert titles == {f"Add #{n}" for n in (0, 1, 2, 3, 4, 999)}  # none of the 40-task batch
        assert s.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
