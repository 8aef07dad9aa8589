"""The exam in the report: the learning curve (exam pass rate per arm against training attempts)
and each part's lift with its interval. Figures from actors/exam/summary.py; plain-text lines
(terminal, `cogloop exam`), a dict (`--json`) and an HTML section with an SVG chart.

Reads the exam tables (store/_exam.py) over a read-only sqlite3 connection; a home without an
exam (or an older schema) simply has no learning section.
"""

from __future__ import annotations

import json
import sqlite3
from html import escape
from typing import Any, Mapping

from actors.exam.summary import summarize
from ops.readdb import has_table
from ops.report.svg import PALETTE

PART_NAMES = {"seen": "seen-generator", "heldout": "held-out-generator"}


def _loads(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


def collect(conn: sqlite3.Connection, run_id: str | None = None) -> dict[str, Any] | None:
    """{"exam", "runs", "curve", "latest"} for the home's exam, or None without one.

    `runs`: every run with its figures; `curve`: per arm [[training attempts, rate, low, high,
    n], ...] over the runs that have results; `latest`: the figures of `run_id`, else of the
    newest run with results (None if there is none)."""
    if not has_table(conn, "exams"):
        return None
    exam = conn.execute("SELECT * FROM exams WHERE sealed_at IS NOT NULL ORDER BY created_at, rowid LIMIT 1").fetchone()
    if exam is None:
        return None
    tasks = [dict(r) for r in conn.execute(
        "SELECT id, generator, part FROM exam_tasks WHERE exam_id = ? ORDER BY position", (exam["id"],))]
    runs, curve, latest = [], {}, None
    for run in conn.execute("SELECT * FROM exam_runs WHERE exam_id = ? ORDER BY started_at, rowid", (exam["id"],)).fetchall():
        results = [dict(r) for r in conn.execute("SELECT * FROM exam_results WHERE run_id = ?", (run["id"],))]
        names = [a.get("name") for a in _loads(run["arms"], []) if isinstance(a, dict)] or None
        s = summarize(tasks, results, names)
        entry = {"id": run["id"], "started_at": run["started_at"], "finished_at": run["finished_at"],
                 "status": run["status"], "note": run["note"], "model": run["model"], "endpoint": run["endpoint"],
                 "settings": _loads(run["settings"], {}), "training_attempts": run["training_attempts"], **s}
        runs.append(entry)
        if results and run["status"] != "running":  # a run still going is not a point yet
            for arm, f in s["arms"].items():
                if f["n"]:
                    r = f["rate"]
                    curve.setdefault(arm, []).append([run["training_attempts"], r["mean"], r["low"], r["high"], f["n"]])
    # the run asked for; else the newest finished run with results (a running one if none is)
    chosen = ([r for r in runs if r["id"] == run_id] if run_id is not None else
              [r for r in runs if r["status"] != "running" and r["arms"] and any(f["n"] for f in r["arms"].values())]
              or [r for r in runs if any(f["n"] for f in r["arms"].values())])
    if chosen:
        e = chosen[-1]
        latest = {"run": e["id"], **{k: e[k] for k in ("status", "model", "training_attempts", "tasks", "order",
                                                         "parts", "generators", "arms", "lifts")}}
    info = {"id": exam["id"], "created_at": exam["created_at"], "spec": _loads(exam["spec"], {}),
            "reserved": _loads(exam["reserved"], []), "dropped": _loads(exam["dropped"], {}), "tasks": len(tasks),
            "parts": {p: sum(1 for t in tasks if t["part"] == p) for p in PART_NAMES},
            "generators": len({t["generator"] for t in tasks})}
    return {"exam": info, "runs": runs, "curve": curve, "latest": latest}


# --- text ----------------------------------------------------------------------------------
def _rate(est: Mapping[str, Any]) -> str:
    if est.get("mean") is None:
        return "-"
    ci = f" [{100 * est['low']:.0f}, {100 * est['high']:.0f}]" if est.get("low") is not None else ""
    return f"{100 * est['mean']:.1f}%{ci}"


def _pts(est: Mapping[str, Any]) -> str:
    if est.get("mean") is None or not est.get("n"):
        return "-"
    ci = f" [{100 * est['low']:+.1f}, {100 * est['high']:+.1f}]" if est.get("low") is not None else ""
    return f"{100 * est['mean']:+.1f}{ci}"


def _cols(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def arm_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    rows = [["arm", "passed", "rate [95% CI]", "seen-generator", "held-out-generator", "tokens/solved", "cached"]]
    for name in summary.get("order") or list(summary["arms"]):
        f = summary["arms"][name]
        parts = [f"{f['parts'][p]['passed']}/{f['parts'][p]['n']} {_rate(f['parts'][p]['rate'])}" for p in PART_NAMES]
        rows.append([name, f"{f['passed']}/{f['n']}", _rate(f["rate"]), *parts,
                     "-" if f["tokens_per_solved"] is None else f"{f['tokens_per_solved']:,.0f}", str(f["cached"])])
    return rows


def lift_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    rows = [["lift (pts, paired) [95% CI]", "all", "seen-generator", "held-out-generator"]]
    for x in summary["lifts"]:
        rows.append([f"{x['label']}: {x['arm']} - {x['baseline']}", _pts(x["all"]), _pts(x["seen"]), _pts(x["heldout"])])
    return rows


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """One run's figures as plain text: header, arms table, lifts table."""
    head = (f"exam run {str(summary.get('run', ''))[:12]} ({summary.get('status', '?')}): model {summary.get('model') or '?'}, "
            f"after {summary.get('training_attempts', 0)} training attempts; {summary['tasks']} tasks "
            f"({summary['parts']['seen']} seen-generator, {summary['parts']['heldout']} held-out-generator, "
            f"{summary['generators']} generators); intervals clustered by generator")
    out = [head, *_cols(arm_rows(summary))]
    if summary["lifts"]:
        out += ["", *_cols(lift_rows(summary))]
    return out


def curve_lines(data: Mapping[str, Any]) -> list[str]:
    """The learning curve as text: per arm, the pass rate after each number of training attempts."""
    out = []
    for arm, points in data["curve"].items():
        out.append(f"  {arm}: " + "  ".join(f"{p[0]} -> {100 * p[1]:.0f}%" for p in points if p[1] is not None))
    return ["learning curve (exam pass rate after N training attempts):", *out] if out else []


# --- HTML ----------------------------------------------------------------------------------
def curve_chart(curve: Mapping[str, list[list[Any]]], *, width: int = 860, height: int = 320) -> str:
    """Exam pass rate per arm (y, 0-100%) against training attempts (x), with each point's 95%
    interval as a vertical bar; one colour per arm, legend below."""
    title = "Learning curve: exam pass rate per arm vs training attempts (95% CI, clustered by generator)"
    pl, pr, pt, pb = 48, 16, 30, 40 + 14 * ((len(curve) + 3) // 4)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<text x="{pl}" y="18" font-size="12" font-weight="bold">{escape(title[:60])}</text>')
    xs = [p[0] for pts in curve.values() for p in pts]
    if not xs:
        return head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">no exam run yet</text></svg>'
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pw, ph = width - pl - pr, height - pt - pb

    def sx(x: float) -> float:
        return pl + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return pt + ph - y * ph

    parts = [head]
    for i in range(5):
        y = i / 4
        parts.append(f'<line x1="{pl}" y1="{sy(y):.1f}" x2="{pl + pw}" y2="{sy(y):.1f}" stroke="#ddd"/>'
                     f'<text x="{pl - 6}" y="{sy(y) + 4:.1f}" font-size="10" text-anchor="end">{100 * y:.0f}%</text>')
    for x in sorted(set(xs)):
        parts.append(f'<text x="{sx(x):.1f}" y="{pt + ph + 14}" font-size="10" text-anchor="middle">{x}</text>')
    parts.append(f'<text x="{pl + pw / 2}" y="{pt + ph + 28}" font-size="10" text-anchor="middle">training attempts (scored)</text>'
                 f'<line x1="{pl}" y1="{pt + ph}" x2="{pl + pw}" y2="{pt + ph}" stroke="#333"/>')
    for n, (arm, pts) in enumerate(curve.items()):
        colour = PALETTE[n % len(PALETTE)]
        shift = (n - (len(curve) - 1) / 2) * 4  # side by side, so bars at one x do not hide each other
        good = [p for p in pts if p[1] is not None]
        if len(good) > 1:
            # earlier arms drawn wider, so an arm that matches another (nomemory = plain) shows as an outline
            coords = " ".join(f"{sx(p[0]) + shift:.1f},{sy(p[1]):.1f}" for p in good)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{2 + 2.5 * (len(curve) - 1 - n):.1f}" '
                         f'stroke-linejoin="round" points="{coords}"/>')
        for x, y, lo, hi, k in good:
            cx = sx(x) + shift
            if lo is not None and hi is not None:
                parts.append(f'<line x1="{cx:.1f}" y1="{sy(lo):.1f}" x2="{cx:.1f}" y2="{sy(hi):.1f}" stroke="{colour}" stroke-width="1.5"/>')
            parts.append(f'<circle cx="{cx:.1f}" cy="{sy(y):.1f}" r="3.5" fill="{colour}">'
                         f'<title>{escape(arm)}: {100 * y:.1f}% of {k} after {x} attempts</title></circle>')
        lx, ly = pl + (n % 4) * (pw // 4), pt + ph + 44 + 14 * (n // 4)
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{lx + 16}" y="{ly - 3}" font-size="11">{escape(arm)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f'<table class="num"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html_section(data: Mapping[str, Any] | None) -> str:
    """The report's "Learning" section: the curve, the latest run's arms and lifts."""
    if data is None:
        return ("<h2>Learning (exam)</h2><p>No exam yet: <code>cogloop exam run</code> measures the loop "
                "against one plain try on held-out tasks.</p>")
    e = data["exam"]
    intro = (f"<p>Exam <code>{escape(e['id'])}</code>: {e['tasks']} tasks from {e['generators']} generators "
             f"({e['parts']['seen']} seen-generator, {e['parts']['heldout']} held-out-generator: "
             f"{escape(', '.join(e['reserved']) or 'none reserved')}). Each point is one exam run; bars are 95% "
             f"intervals clustered by generator.</p>")
    out = ["<h2>Learning (exam)</h2>", intro, f'<div class="card">{curve_chart(data["curve"])}</div>']
    latest = data["latest"]
    if latest:
        out.append(f"<h3>Latest run: {escape(str(latest.get('model') or '?'))}, after "
                   f"{latest.get('training_attempts', 0)} training attempts ({escape(str(latest.get('status')))})</h3>")
        out.append(_html_table(arm_rows(latest)))
        if latest["lifts"]:
            out.append(_html_table(lift_rows(latest)))
    return "".join(out)
