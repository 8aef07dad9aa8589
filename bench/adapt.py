"""How often adapting an archived solution (actors/builder/adapt.py) gives a right answer, over the
task bank, without a model: per skill, pairs of tasks of the same generator (same entry point,
other constants or wording) at difficulties 1..D; the first task's reference solution stands
for what training archived, adapted to the second task.

    python bench/adapt.py [--difficulties 3] [--seeds 40] [--pairs 400]

Columns: pairs tried; `copied` — the archived code unchanged submitted when it passes the
visible tests (the baseline, measured in the same run: what showing the example achieves at
best when the model copies it); `adapted` — adapt.py's candidate submitted when it passes the
visible tests. For each: submitted (passes visible), right (passes hidden), wrong (passed
visible, failed hidden: a pass lost where the model might have answered).
The references are clean code; the model's archived answers carry more noise.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actors.builder.adapt import adaptations  # noqa: E402
from actors.trainer.taskbank import SKILLS, make_task  # noqa: E402
from sandbox import run_tests  # noqa: E402


def passes(code: str, tests: str, entry: str) -> bool:
    return bool(tests.strip()) and run_tests(code, tests, entry_point=entry).all_passed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--difficulties", type=int, default=3, help="difficulties 1..D (default 3)")
    ap.add_argument("--seeds", type=int, default=40, help="tasks drawn per skill and difficulty (default 40)")
    ap.add_argument("--pairs", type=int, default=400, help="pairs tried at most, drawn at random (default 400)")
    args = ap.parse_args()
    rng = random.Random(0)
    pairs = []
    for skill in SKILLS:
        for d in range(1, args.difficulties + 1):
            tasks = [make_task(skill, d, s) for s in range(args.seeds)]
            by_entry: dict[str, list[dict]] = {}
            for t in tasks:
                by_entry.setdefault(t["entry_point"], []).append(t)
            for group in by_entry.values():
                pairs += [(a, b) for a in group for b in group if a["prompt"] != b["prompt"]]
    rng.shuffle(pairs)
    pairs = pairs[:args.pairs]
    rows = {"copied": [0, 0, 0], "adapted": [0, 0, 0]}  # submitted, right, wrong
    t0 = time.monotonic()
    for old, new in pairs:
        entry, vis, hid = new["entry_point"], new["visible_tests"], new["hidden_tests"]
        example = {"task_id": old.get("id", "old"), "code": old["reference"], "prompt": old["prompt"], "entry_point": entry}
        for name, code in (("copied", old["reference"]),
                           ("adapted", next((a.code for a in adaptations(new, example)), None))):
            if code is None or not passes(code, vis, entry):
                continue
            ok = passes(code, hid, entry)
            rows[name][0] += 1
            rows[name][1 if ok else 2] += 1
    n = len(pairs)
    print(f"pairs of same-generator tasks: {n} (skills {len(SKILLS)}, difficulties 1..{args.difficulties}), "
          f"{time.monotonic() - t0:.1f} s")
    print(f"{'':8} {'submitted':>10} {'right':>12} {'wrong':>6}")
    for name, (sub, right, wrong) in rows.items():
        print(f"{name:8} {sub:>10} {right:>5} ({100 * right / max(n, 1):4.1f}%) {wrong:>6}")
    base = rows["copied"][1]
    print(f"right answers, adapted / copied: {rows['adapted'][1] / base:.2f}" if base else "no copied answer was right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
