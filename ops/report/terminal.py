"""The report as rich tables on the terminal (the same figures as `--json` and `--html`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ops.report.data import BINS


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _trend(v: float | None) -> str:
    if v is None:
        return "-"
    colour = "green" if v > 0 else "red" if v < 0 else "white"
    return f"[{colour}]{v:+.0%}[/{colour}]"


def _spark(values: list[int]) -> str:
    """A one-line histogram: block characters scaled to the largest bin."""
    blocks = " ▁▂▃▄▅▆▇█"
    top = max(values, default=0)
    return "".join(blocks[round(v / top * 8)] if top else " " for v in values)


def render_benchmark(console: Console, bench: dict[str, Any]) -> None:
    t = Table(title=f"benchmark: {bench['benchmark']}", show_header=False)
    settings = ", ".join(f"{k}={v}" for k, v in sorted(bench["settings"].items())) or "-"
    for key, value in [("model", bench["model"] or "?"), ("settings", settings), ("tasks", bench["tasks"]),
                       ("attempted", bench["attempted"]), ("passed", bench["passed"]),
                       ("pass@1", _pct(bench["pass_at_1"]) if bench["pass_at_1"] is None
                        else f"{bench['pass_at_1']:.4f} ({_pct(bench['pass_at_1'])})")]:
        t.add_row(key, str(value))
    console.print(t)


def render_learning(console: Console, learning: dict[str, Any] | None) -> None:
    """The exam: the learning curve and the latest run's arms and lifts (plain text)."""
    from ops.report.learning import curve_lines, summary_lines

    if not learning:
        console.print("no exam yet (cogloop exam run measures the loop against one plain try)")
        return
    for line in curve_lines(learning):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if learning["latest"]:
        for line in summary_lines(learning["latest"]):
            console.print(line, markup=False, highlight=False, soft_wrap=True)


def render(console: Console, data: dict[str, Any]) -> None:
    console.print(f"[bold]scores[/bold] {data['scores']}  [bold]passed[/bold] {data['passed']}  "
                  f"[bold]pass rate[/bold] {_pct(data['pass_rate'])}  "
                  f"[bold]restarts[/bold] {data['events']['restarts']}  [bold]errors[/bold] {data['events']['errors']}")
    skills = Table(title="skills")
    for col in ("skill", "scored", "passed", "rate", "trend", "score", "difficulty", "max passed", "ability"):
        skills.add_column(col, justify="left" if col == "skill" else "right")
    for r in data["skills"]:
        skills.add_row(r["skill"], str(r["attempts"]), str(r["passed"]), _pct(r["pass_rate"]), _trend(r["trend"]),
                       _num(r["avg_score"]), _num(r["avg_difficulty"], 1), _num(r["max_difficulty_passed"]),
                       _num(r["ability"]))
    console.print(skills)
    difficulty = [d for _, d in data["difficulty_series"]]
    if difficulty:
        console.print(f"difficulty over time (rolling mean): first {difficulty[0]:.1f}, "
                      f"last {difficulty[-1]:.1f}, max {max(difficulty):.1f}")
    judge = data.get("judge") or {}
    old = sum(n for v, n in judge.get("by_version", {}).items() if int(v) < judge.get("current", 0))
    if old or judge.get("suspicious"):
        shown = "left out (--judge current)" if judge.get("shown") == "current" else "included; --judge current leaves them out"
        console.print(f"judge: {old} score(s) from the old one-process harness, {shown}; "
                      f"{judge.get('suspicious', 0)} flagged suspicious")
    hist = data["score_histogram"]
    console.print(f"score distribution 0 [{_spark(hist)}] 1   ({', '.join(str(n) for n in hist)} in {BINS} bins)")
    render_learning(console, data.get("learning"))
    ev = data["events"]
    if ev["by_actor"]:
        actors = Table(title="restarts and errors by actor")
        for col in ("actor", "restarts", "errors"):
            actors.add_column(col, justify="left" if col == "actor" else "right")
        for actor, counts in ev["by_actor"].items():
            actors.add_row(actor, str(counts["restarts"]), str(counts["errors"]))
        console.print(actors)
    if ev["recent"]:
        events = Table(title="latest restarts and errors")
        for col in ("time", "kind", "actor", "detail"):
            events.add_column(col)
        for e in ev["recent"]:
            events.add_row((e["ts"] or "")[:19].replace("T", " "), e["kind"], e["actor"] or "", e["detail"])
        console.print(events)
    else:
        console.print("no restarts or errors recorded")
