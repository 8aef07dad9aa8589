"""The HTML report: one offline file, inline CSS and SVG charts, no scripts, no CDN.

A person should see at a glance whether the Builder improves: the ability per skill over time
(the trainer's estimate), the pass rate per skill (one small chart each), the difficulty the
Trainer set over time, the score distribution, and restarts/errors.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from typing import Any

from ops.report.data import BINS, ROLLING, epoch
from ops.report.learning import html_section
from ops.report.svg import bar_chart, line_chart

CSS = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1150px; }
h1 { margin-bottom: 0; } .sub { color: #666; margin-top: 4px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; background: #fff; }
.wide { margin-bottom: 16px; } .wide svg { max-width: 100%; height: auto; }
.kpis { display: flex; gap: 16px; margin: 16px 0; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 8px 16px; min-width: 120px; }
.kpi b { display: block; font-size: 22px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 10px; text-align: left; }
.num th, .num td { text-align: right; } .num th:first-child, .num td:first-child { text-align: left; }
.up { color: #007a3d; } .down { color: #b00020; }
"""


def _clock(x: float) -> str:
    return datetime.fromtimestamp(x, timezone.utc).strftime("%m-%d %H:%M")


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else escape(str(v))


def _trend(v: float | None) -> str:
    if v is None:
        return "–"
    cls = "up" if v > 0 else "down" if v < 0 else ""
    return f'<span class="{cls}">{v:+.0%}</span>'


def _table(headers: list[str], rows: list[list[str]], numeric: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cls = ' class="num"' if numeric else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _series(points: list[list[Any]]) -> list[tuple[float, float]]:
    return [(epoch(ts), float(v)) for ts, v in points]


def _benchmark_section(bench: dict[str, Any]) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in sorted(bench["settings"].items())) or "–"
    return (f"<h2>Benchmark: {escape(bench['benchmark'])}</h2>"
            f'<div class="kpis"><div class="kpi">pass@1<b>{_pct(bench["pass_at_1"])}</b></div>'
            f'<div class="kpi">passed<b>{bench["passed"]} / {bench["tasks"]}</b></div>'
            f'<div class="kpi">attempted<b>{bench["attempted"]}</b></div></div>'
            f"<p>model <code>{escape(bench['model'] or '?')}</code>; settings {escape(settings)}</p>")


SMALL_POINTS = 60  # per small chart: about one every 3 px, so 5,000 scores still read as a line


def _skill_charts(data: dict[str, Any]) -> str:
    """One small pass-rate chart per skill (small multiples: readable for 2 skills or 20, no
    colours to tell apart); each title says how many scores the line stands on."""
    counts = {r["skill"]: r for r in data["skills"]}
    cards = []
    for skill, points in sorted(data["pass_rate_series"].items()):
        row = counts.get(skill, {})
        n, passed = row.get("attempts", len(points)), row.get("passed", 0)
        counted = f"{n} score{'' if n == 1 else 's'}, {passed} passed"
        cards.append('<div class="card">' + line_chart(
            {skill: _series(points)}, title=skill, subtitle=counted, width=240, height=160, y_min=0.0,
            y_max=1.0, x_label=_clock, y_label=lambda y: f"{100 * y:.0f}%", legend=False,
            max_points=SMALL_POINTS) + "</div>")
    return "".join(cards) or '<p>No scores yet.</p>'


def render(data: dict[str, Any], *, title: str = "cogloop report", home: str = "",
           bench: dict[str, Any] | None = None, generated_at: str | None = None) -> str:
    generated_at = generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ability_chart = line_chart({s: _series(p) for s, p in data["ability_series"].items()},
                               title="Ability per skill (the difficulty it passes half the time)",
                               width=1080, height=300, y_min=0.0, y_max=10.0, x_label=_clock, legend=True)
    difficulty_chart = line_chart({"difficulty": _series(data["difficulty_series"])},
                                  title=f"Difficulty over time (rolling mean of {ROLLING})",
                                  y_min=0.0, y_max=10.0, x_label=_clock)
    labels = [f"{i / BINS:.1f}" for i in range(len(data["score_histogram"]))]
    histogram = bar_chart(data["score_histogram"], labels, title="Score distribution (total, 0 to 1)")
    skills = _table(
        ["skill", "attempts", "passed", "pass rate", "trend", "mean score", "mean difficulty",
         "hardest passed", "ability"],
        [[escape(r["skill"]), str(r["attempts"]), str(r["passed"]), _pct(r["pass_rate"]), _trend(r["trend"]),
          _num(r["avg_score"]), _num(r["avg_difficulty"], 1), _num(r["max_difficulty_passed"]), _num(r["ability"])]
         for r in data["skills"]], numeric=True)
    ev = data["events"]
    by_actor = _table(["actor", "restarts", "errors"],
                      [[escape(a), str(n["restarts"]), str(n["errors"])] for a, n in ev["by_actor"].items()],
                      numeric=True) if ev["by_actor"] else "<p>None recorded.</p>"
    recent = _table(["time", "kind", "actor", "detail"],
                    [[escape((e["ts"] or "")[:19].replace("T", " ")), escape(e["kind"]), escape(e["actor"] or ""), escape(e["detail"])]
                     for e in ev["recent"]]) if ev["recent"] else "<p>No restarts or errors recorded.</p>"
    queue = _table(["source", "status", "tasks"],
                   [[escape(src), escape(st), str(n)] for src, by in sorted(data["queue"].items())
                    for st, n in sorted(by.items())], numeric=True)
    span = (f"{escape(data['first_score_at'][:16])} to {escape(data['last_score_at'][:16])} UTC"
            if data["first_score_at"] else "no scores yet")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="sub">{escape(home)} &middot; generated {escape(generated_at)} &middot; scores {span}</p>
<div class="kpis">
<div class="kpi">attempts scored<b>{data["scores"]}</b></div>
<div class="kpi">passed<b>{data["passed"]}</b></div>
<div class="kpi">pass rate<b>{_pct(data["pass_rate"])}</b></div>
<div class="kpi">restarts<b>{ev["restarts"]}</b></div>
<div class="kpi">errors<b>{ev["errors"]}</b></div>
</div>
{_benchmark_section(bench) if bench else ""}
{html_section(data.get("learning"))}
<h2>Training</h2>
<div class="card wide">{ability_chart}</div>
<h2>Pass rate per skill</h2>
<p class="sub">Rolling pass rate over the last {ROLLING} scores (over all of them while there are fewer).</p>
<div class="grid">{_skill_charts(data)}</div>
<h2>Curriculum</h2>
<div class="grid">
<div class="card">{difficulty_chart}</div>
<div class="card">{histogram}</div>
</div>
<h2>Skills</h2>
{skills}
<h2>Restarts and errors</h2>
{by_actor}
{recent}
<h2>Queue</h2>
{queue}
</body></html>
"""
