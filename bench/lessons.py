"""What earned lessons cost a verdict: a failed verdict records its exposures and mines the
skill's latest failures (store/_lessons.py) — timed against a passing verdict (exposures only)
on the same store, at a given history size of one skill. Prints the median milliseconds of each
and their ratio.

    .venv/bin/python bench/lessons.py --history 2000 --verdicts 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402

CODE = "def candidate(x):\n    return x[-1]\n\nprint(candidate([1, 2]))\nassert candidate([3]) == 3\n"
ERROR = "missing entry point: the answer has a code block but no function named 'last_item'"


def task(n: int) -> dict:
    return {"title": f"Last #{n}", "prompt": "Return the last item.", "skill": "stacks_queues", "difficulty": 2,
            "entry_point": "last_item", "visible_tests": "assert candidate([1]) == 1\n",
            "hidden_tests": "assert candidate([1, 2]) == 2\n", "reference": "def last_item(x):\n    return x[-1]\n",
            "max_attempts": 1}


def verdict(s: Store, n: int, passed: bool, lessons: list[int]) -> float:
    tid = s.add_task(task(n))
    lease = s.lease("b1", 60)
    s.record_attempt({"id": lease["attempt_id"], "task_id": tid, "status": "failed", "code": CODE, "error": ERROR,
                      "llm_settings": {"lesson_ids": lessons[:2], "lessons_held": lessons[2:]}})
    start = time.perf_counter()
    s.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": 1.0 if passed else 0.0,
                    "passed": passed}, lease_id=lease["lease_id"])
    return (time.perf_counter() - start) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--history", type=int, default=2000, help="judged attempts of the skill before timing")
    ap.add_argument("--verdicts", type=int, default=200, help="verdicts timed of each kind")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d, Store.open(Path(d) / "history.db") as s:
        lessons = [s.add_lesson("stacks_queues", f"lesson {i}", "reflection") for i in range(4)]
        for n in range(args.history):
            verdict(s, n, n % 5 == 0, lessons)
        failed, passed = [], []
        for n in range(args.verdicts):
            failed.append(verdict(s, args.history + 2 * n, False, lessons))
            passed.append(verdict(s, args.history + 2 * n + 1, True, lessons))
        mined = s.rows("SELECT pattern FROM lessons WHERE source = 'mined' ORDER BY id")
    f, p = statistics.median(failed), statistics.median(passed)
    print(f"history {args.history} judged attempts of one skill; {args.verdicts} verdicts of each kind")
    print(f"failed verdict (exposures + mining): median {f:.2f} ms")
    print(f"passed verdict (exposures only):     median {p:.2f} ms")
    print(f"ratio failed / passed: {f / p:.2f}; mined patterns: {', '.join(m['pattern'] for m in mined)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
