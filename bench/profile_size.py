"""How much of the history the trainer's profile snapshots take, one per attempt vs kept on
change or interval (Store.snapshot_profile's default).

    python bench/profile_size.py [--attempts 525] [--step 8]

Each run makes the same demo history (bench/report_screenshot.py: a simulated builder taught
by the real Trainer policy, an attempt every --step seconds, the profile snapshotted after
each as the trainer does) twice: baseline `every_s=0` (a row per attempt, what cogloop did)
and the default. Prints the profile rows, their bytes, the share of the database file, and
the ratio.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_screenshot import demo_history  # noqa: E402


def measure(attempts: int, step_s: float, every_s: float | None) -> tuple[int, int, int]:
    with tempfile.TemporaryDirectory(prefix="cogloop-profile-") as tmp:
        home = Path(tmp)
        demo_history(home, attempts, step_s=step_s, every_s=every_s)
        conn = sqlite3.connect(home / "history.db")
        conn.execute("VACUUM")  # the file as it would be: free pages reclaimed
        rows, size = conn.execute("SELECT count(*), coalesce(sum(length(profile)), 0) FROM profile").fetchone()
        conn.close()
        return rows, size, (home / "history.db").stat().st_size


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--attempts", type=int, default=525)
    p.add_argument("--step", type=float, default=8.0, help="seconds between attempts (the embedded model: 5-15)")
    args = p.parse_args()
    results = {}
    for name, every_s in (("baseline (a row per attempt)", 0.0), ("cogloop (on change or interval)", None)):
        rows, size, db = measure(args.attempts, args.step, every_s)
        results[name] = db
        print(f"{name:32s}: {rows:4d} profile rows, {size / 1024:7.0f} kB of profile JSON, "
              f"{100 * size / db:4.1f} % of a {db / 1024:.0f} kB database")
    base, ours = results.values()
    print(f"database size ratio baseline / cogloop: {base / ours:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
