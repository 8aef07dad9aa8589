"""Queue throughput beside raw sqlite-utils inserts, measured in the same run.

    python bench/store.py [--cycles N] [--rows N] [--history N]

One queue cycle = add_task (validate + insert) + lease (BEGIN IMMEDIATE, reclaim sweep,
pick the head, mark it, create the attempt) + the verdict (record_score: the score, the attempt and
the task in one transaction). The baseline is sqlite-utils
`insert_all` of rows of the same shape into a table in the same kind of database (WAL,
synchronous=NORMAL): the cheapest way to get those bytes into SQLite. The ratio says what
the queue's guarantees (validation, one transaction per step, exclusive leases) cost.
The same cycles are then timed on a database that already holds --history finished attempts
(a daemon after days of work): a lease must not get slower as the history grows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils  # noqa: E402

from store import Store  # noqa: E402
from store.taskspec import normalize_task  # noqa: E402


def sample_task(n: int) -> dict:
    return {"title": f"Add #{n}", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n", "skill": "math",
            "difficulty": 1 + n % 10, "entry_point": "add", "visible_tests": "assert candidate(1, 2) == 3\n",
            "hidden_tests": "assert candidate(2, 2) == 4\n", "edge_tests": "assert candidate(0, 0) == 0\n",
            "reference": "def add(a, b):\n    return a + b\n"}


def add_history(path: Path, attempts: int) -> None:
    """`attempts` finished attempts of one old task, written directly (fast) in the store's schema."""
    with Store.open(path) as s:
        tid = s.add_task({**sample_task(0), "title": "old"})
        stamp = "2026-01-01T00:00:00.000000Z"
        s.db["attempts"].insert_all(({"id": f"h{n}", "task_id": tid, "builder": "old", "lease_id": f"hl{n}",
                                      "attempt_no": 1, "status": "passed", "outcome": "passed", "started_at": stamp,
                                      "finished_at": stamp, "completed_at": stamp} for n in range(attempts)),
                                     batch_size=1000)
        s.db["scores"].insert_all(({"id": f"s{n}", "attempt_id": f"h{n}", "task_id": tid, "skill": "math",
                                    "difficulty": 1, "total": 1.0, "passed": 1, "details": "{}", "created_at": stamp}
                                   for n in range(attempts)), batch_size=1000)
        s.db.execute("UPDATE tasks SET status = 'passed' WHERE id = ?", [tid])
        s.db.conn.commit()


def queue_cycles(path: Path, cycles: int) -> float:
    with Store.open(path) as s:
        start = time.perf_counter()
        for n in range(cycles):
            s.add_task(sample_task(n))
            lease = s.lease("bench", 60)
            s.record_score({"attempt_id": lease["attempt_id"], "task_id": lease["task"]["id"], "total": 1.0,
                            "passed": True}, lease_id=lease["lease_id"])  # the verdict completes the task
        elapsed = time.perf_counter() - start
        assert s.queue_stats(source="user")["passed"] >= cycles
    return cycles / elapsed


def raw_inserts(path: Path, rows: int) -> float:
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous=NORMAL")
    data = [{**normalize_task(sample_task(n)), "constraints": "{}", "meta": "{}"} for n in range(rows)]
    start = time.perf_counter()
    db["tasks"].insert_all(data, pk="id")
    elapsed = time.perf_counter() - start
    assert db["tasks"].count == rows
    db.close()
    return rows / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=500)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--history", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cps = queue_cycles(Path(tmp) / "queue.db", args.cycles)
        rps = raw_inserts(Path(tmp) / "raw.db", args.rows)
        add_history(Path(tmp) / "old.db", args.history)
        hps = queue_cycles(Path(tmp) / "old.db", args.cycles)
    print(f"queue cycles/s (add + lease + verdict): {cps:10.1f}   ({args.cycles} cycles)")
    print(f"sqlite-utils insert_all rows/s:          {rps:10.1f}   ({args.rows} rows)")
    print(f"ratio cycles/s : rows/s = {cps / rps:.4f}  (1 cycle costs about {rps / cps:.0f} raw row inserts)")
    print(f"queue cycles/s with {args.history} past attempts: {hps:10.1f}   "
          f"ratio to the fresh database = {hps / cps:.2f}  (1.00: a lease does not slow with the history)")


if __name__ == "__main__":
    main()
