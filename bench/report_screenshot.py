"""Render the HTML report of a demo history in headless Chromium and save a PNG of it.

    python bench/report_screenshot.py --scores 5000 --out /tmp/report-5000.png
    python bench/report_screenshot.py --scores 5 --out /tmp/report-5.png

The demo history is made through the real store API: a simulated builder (actors/trainer/
simstudent.py: a hidden ability per skill that grows with practice) is taught by the real
Trainer policy over the ten skills of the task bank, one scored attempt a minute, with the
trainer's profile snapshot after each. Then `cogloop report --html` renders it and Chromium
(Debian's `chromium` package: `apt-get install chromium`) takes the screenshot with a fresh
profile, no network and no GPU.

Chromium also measures the legend with the fonts it really has (a copy of the page with a
script that reads each label's box): it prints how many legend labels there are, whether any
two overlap, and how the widest real label compares with the width the SVG reserved for it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actors.trainer.policy import PolicyParams, adjust_difficulty, new_profile, next_skill, observe  # noqa: E402
from actors.trainer.simstudent import Student  # noqa: E402
from store import Store  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]

# Reads every legend entry's box (text and swatch) as laid out with the fonts Chromium has.
MEASURE = """<script>
window.addEventListener('load', () => {
  const out = [];
  document.querySelectorAll('svg').forEach((svg, i) => {
    svg.querySelectorAll('g.legend').forEach(g => {
      const t = g.querySelector('text'), b = g.getBBox();
      out.push({svg: i, name: g.dataset.series, x: b.x, y: b.y, w: b.width, h: b.height,
                natural: t.getComputedTextLength(), reserved: parseFloat(t.getAttribute('textLength'))});
    });
  });
  const pre = document.createElement('pre'); pre.id = 'measured';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""


def demo_history(home: Path, scores: int, seed: int = 7, step_s: float = 60.0, every_s: float | None = None) -> None:
    """`scores` attempts, each scored `step_s` after the last, with the trainer's profile
    snapshot after each (kept as the store keeps them: `every_s` as in Store.snapshot_profile)."""
    rng = random.Random(seed)
    params = PolicyParams()
    profile = new_profile(params)
    student = Student.make(seed, regress_at=scores // 2)
    clock = [1_800_000_000.0]
    with Store.open(home / "history.db", clock=lambda: clock[0], max_attempts=1) as store:
        for n in range(scores):
            skill = next_skill(profile, rng, params)
            difficulty = adjust_difficulty(profile, skill, params)
            profile["skills"][skill]["difficulty"] = difficulty
            result = student.attempt(skill, difficulty, rng)
            tid = store.add_task({"title": f"{skill} #{n}", "prompt": "def f(x):\n    ...\n", "skill": skill,
                                  "difficulty": difficulty, "entry_point": "f",
                                  "hidden_tests": "assert candidate(1) == 1\n", "source": "trainer",
                                  "reference": "def f(x):\n    return x\n"})
            lease = store.lease("builder-1", ttl_s=900)
            assert lease is not None and lease["task"]["id"] == tid
            clock[0] += step_s
            status = "passed" if result["passed"] else "failed"
            store.record_attempt({"id": lease["attempt_id"], "task_id": tid, "builder": "builder-1",
                                  "lease_id": lease["lease_id"], "attempt_no": 1, "status": status,
                                  "code": "def f(x):\n    return x\n"})
            total = 0.55 + 0.45 * rng.random() if result["passed"] else 0.45 * rng.random()
            store.record_score({"attempt_id": lease["attempt_id"], "task_id": tid, "total": round(total, 3),
                                "passed": result["passed"], "correctness": float(result["passed"])})
            store.complete(lease["lease_id"], lease["attempt_id"], status)
            observe(profile, {**result, "total": total}, params)
            keep = {} if every_s is None else {"every_s": every_s}
            store.snapshot_profile(json.loads(json.dumps(profile)), **keep)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no chromium found: apt-get install -y chromium")


def run_chromium(args: list[str], profile_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *args],
                          capture_output=True, text=True, timeout=180)


def measure_legend(html: Path, work: Path) -> list[dict]:
    page = work / "measure.html"
    page.write_text(html.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = run_chromium(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], work / "profile-measure")
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise SystemExit(f"chromium measured nothing: {done.stderr[-500:]}")
    import html as htmllib
    return json.loads(htmllib.unescape(found.group(1)))


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["svg"] == b["svg"] and a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] \
                    and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                bad.append((a["name"], b["name"]))
    return bad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scores", type=int, default=5000, help="scored attempts in the demo history")
    p.add_argument("--out", default="report.png", help="the PNG to write")
    p.add_argument("--width", type=int, default=1200, help="window width in px")
    p.add_argument("--height", type=int, default=2000, help="window height in px (the part captured)")
    p.add_argument("--keep", metavar="DIR", help="keep the demo home and report.html in DIR")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="cogloop-report-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        home = work / "home"
        shutil.rmtree(home, ignore_errors=True)  # a kept folder from an earlier run: start afresh
        home.mkdir()
        t0 = time.monotonic()
        demo_history(home, args.scores)
        made = time.monotonic() - t0
        html = work / "report.html"
        report = subprocess.run([sys.executable, "-m", "ops.cli", "report", "--home", str(home), "--html", str(html),
                                 "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
        if report.returncode != 0:
            raise SystemExit(report.stderr)
        out = Path(args.out).absolute()
        shot = run_chromium([f"--screenshot={out}", f"--window-size={args.width},{args.height}", html.as_uri()],
                            work / "profile-shot")
        if not out.is_file():
            raise SystemExit(f"chromium wrote no screenshot: {shot.stderr[-500:]}")
        boxes = measure_legend(html, work)
        print(f"demo history: {args.scores} scores in {made:.1f} s; report {html.stat().st_size / 1024:.0f} kB; "
              f"screenshot {out} ({out.stat().st_size / 1024:.0f} kB)")
        ratio = max((b["natural"] / b["reserved"] for b in boxes if b["reserved"]), default=0.0)
        print(f"legend measured by Chromium: {len(boxes)} labels, overlapping pairs: {overlaps(boxes) or 'none'}, "
              f"widest natural/reserved text width: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
