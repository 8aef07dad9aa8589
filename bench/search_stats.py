"""What Memory's `search.stats` costs as the history grows, beside a scan of the same rows.

    python bench/search_stats.py [--attempts 10000 100000]

`Store.search_stats` groups the latest 5000 scored attempts that name their search by skill,
difficulty and search (a join of scores and attempts and a JSON read of `llm_settings`; read
by each builder once a minute, not per task — actors/builder/search.py). Baseline, in the
same run on the same database: the same query over every scored attempt (`window` = all), the
cost the window keeps from growing with the history. Rows are written directly in the store's schema (fast), over 10 skills x 10
difficulties x 3 searches.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402


def fill(path: Path, n: int) -> None:
    with Store.open(path) as s:
        s.db["tasks"].insert({"id": "old", "title": "t", "prompt": "p", "skill": "s0", "difficulty": 1,
                              "entry_point": "f", "status": "passed", "source": "trainer"})
        searches = ("one", "repair", "resample")
        s.db["attempts"].insert_all(
            ({"id": f"a{i}", "task_id": "old", "status": "failed", "tokens_in": 300, "tokens_out": 100,
              "llm_settings": json.dumps({"model": "m", "temperature": 0.2, "search": searches[i % 3],
                                          "search_level": "all", "lesson_ids": [1, 2]})} for i in range(n)),
            batch_size=5000)
        s.db["scores"].insert_all(
            ({"id": f"s{i}", "attempt_id": f"a{i}", "task_id": "old", "skill": f"s{i % 10}",
              "difficulty": 1 + (i // 10) % 10, "total": 0.5, "passed": i % 4 == 0} for i in range(n)),
            batch_size=5000)


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attempts", type=int, nargs="+", default=[10_000, 100_000])
    args = p.parse_args(argv)
    for n in args.attempts:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.db"
            fill(path, n)
            with Store.open(path, readonly=True) as s:
                rows = s.search_stats("m")
                stats = best_of(lambda: s.search_stats("m"))
                scan = best_of(lambda: s.search_stats("m", window=n))
            print(f"{n:>7} scored attempts: search_stats {stats * 1000:7.1f} ms ({len(rows)} rows), "
                  f"baseline (every attempt) {scan * 1000:6.1f} ms, ratio {stats / scan:4.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
