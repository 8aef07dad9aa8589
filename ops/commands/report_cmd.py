"""`cogloop report` — how the Builder is doing: per skill, over time, and on a benchmark.

Usage:
    cogloop report [--benchmark humaneval] [--judge all|current] [--html FILE] [--home H] [--config F] [--json]

Examples:
    cogloop report                               # rich tables on the terminal
    cogloop report --html report.html            # one offline file with SVG charts
    cogloop report --benchmark humaneval --json  # {"benchmark","model","settings","tasks",
                                                 #  "attempted","passed","pass_at_1"}
    cogloop report --judge current               # leave out scores from the old one-process harness

Sends no message: it reads HOME/history.db read-only (the daemon may be running). Shows the
exam's learning curve (pass rate per arm against training attempts) with the latest run's
arms and the lift of each part with its interval (see `cogloop exam`); per skill the
attempts, pass rate, its trend (last 10 scores against the 10 before), mean score and
difficulty, the hardest difficulty passed and the trainer's ability estimate; the score
distribution; restarts and errors from the events table. `--benchmark NAME` reports pass@1
for the tasks of that source: each problem's first submitted candidate against its hidden
tests, over all the benchmark's tasks (unattempted ones count as failed); model and settings
are those the candidates were made with. Every score records the judge that produced it;
`--judge current` leaves out those of the old harness that ran tests inside the candidate's
interpreter (judge 1, before verdicts were made unforgeable), and the report counts the scores
per judge and those flagged suspicious. Exit 0 done, 1 no database, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ops.context import Context
from ops.ground.errors import CogloopError, UsageError
from ops.readdb import open_readonly
from ops.report import data as report_data

BENCHMARKS = ("humaneval",)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="per-skill progress, charts and benchmark pass@1",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", choices=BENCHMARKS, help="report this benchmark's pass@1")
    p.add_argument("--judge", choices=report_data.JUDGES, default="all",
                   help="'current': leave out scores from the old one-process harness (default: all)")
    p.add_argument("--html", metavar="FILE", help="also write a single-file HTML report with charts")
    p.set_defaults(handler=run)


def _settings(ctx: Context) -> tuple[str, dict]:
    """The model and sampling settings in force, for a benchmark whose attempts lack them."""
    llm = ctx.config.llm
    return llm.model, {"temperature": llm.temperature, "max_tokens": llm.max_tokens, "seed": llm.seed}


def run(ctx: Context, args: argparse.Namespace) -> int:
    html_path = Path(args.html).expanduser() if args.html else None
    if html_path and not html_path.parent.is_dir():
        raise UsageError(f"--html {args.html}: folder {html_path.parent} does not exist")
    conn = open_readonly(ctx.home.db)
    try:
        bench = None
        if args.judge == "current":
            report_data.current_judge_only(conn)
        if args.benchmark:
            model, settings = _settings(ctx)
            bench = report_data.benchmark(conn, args.benchmark, model, settings)
        data = report_data.collect(conn, args.judge) if (html_path or not (ctx.json and bench)) else None
    finally:
        conn.close()
    if html_path:
        from ops.report.html import render

        try:
            html_path.write_text(render(data, home=str(ctx.home.root), bench=bench), encoding="utf-8")
        except OSError as exc:
            raise CogloopError(f"{html_path}: cannot write the report: {exc.strerror or exc}") from None
    if ctx.json:
        ctx.emit_json(bench if bench else data)
        return 0
    from rich.console import Console

    from ops.report import terminal

    # Piped output is not cut to 80 columns: scripts and logs get whole rows.
    console = Console(width=None if sys.stdout.isatty() else 120)
    if bench:
        terminal.render_benchmark(console, bench)
    else:
        terminal.render(console, data)
    if html_path:
        console.print(f"wrote {html_path}")
    return 0
