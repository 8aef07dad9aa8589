"""`python -m sandbox` — try a snippet in the sandbox, the way the daemon runs generated code.

Usage:
    python -m sandbox run FILE [--cpu S] [--mem MB] [--wall S] [--stdin FILE] [--json]
    python -m sandbox test FILE --tests TESTS_FILE --entry-point NAME [--context FILE] [--cpu S] [--mem MB]
                           [--wall S] [--json]
    (both also take --home DIR and --config FILE: limits default to the [sandbox] section)

Examples:
    python -m sandbox run snippet.py --wall 2 --json
    python -m sandbox test solution.py --tests tests.py --entry-point add
    python -m sandbox test find_zero.py --tests he32_tests.py --entry-point find_zero --context he32_helpers.py

`test` runs the tests in a judge process apart from the candidate's (docs/sandbox.md); `--context`
is trusted source the judge runs before them (helpers the tests call, e.g. HumanEval/32's poly).

`--json` prints a RunResult (run) or a TestReport (test) with the keys of docs/architecture.md
(CLI contracts; a TestReport adds `judge`: the judge's version and its signs of tampering).
Exit status: 0 the run was ok / every test passed, 1 otherwise, 2 bad arguments or files.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Sequence

from sandbox import Limits, RunResult, SandboxError, TestsFileError, run_code, run_tests

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"sandbox: usage error: {message} (try '{self.prog} --help')\n")


class _Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", metavar="DIR", help="cogloop home (for its cogloop.toml)")
    common.add_argument("--config", metavar="FILE", help="TOML configuration ([sandbox] limits)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    common.add_argument("--cpu", type=float, metavar="S", help="CPU seconds")
    common.add_argument("--mem", type=int, metavar="MB", help="memory of the process tree in MB")
    common.add_argument("--wall", type=float, metavar="S", help="wall-clock seconds")
    parser = _Parser(prog="python -m sandbox", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    run = sub.add_parser("run", parents=[common], help="run a Python file")
    run.add_argument("file")
    run.add_argument("--stdin", metavar="FILE", help="feed this file on stdin")
    test = sub.add_parser("test", parents=[common], help="run a candidate against a tests file")
    test.add_argument("file")
    test.add_argument("--tests", required=True, metavar="TESTS_FILE")
    test.add_argument("--entry-point", required=True, metavar="NAME")
    test.add_argument("--context", metavar="FILE", help="trusted helpers the judge runs before the tests")
    return parser


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError as exc:
        raise _Usage(f"{path}: cannot read: {exc.strerror}") from None


def _limits(args: argparse.Namespace) -> Limits:
    base = Limits()
    if args.home or args.config:
        from ops.ground.config import load_config
        from ops.ground.errors import ConfigError
        from ops.ground.home import resolve_home

        try:
            base = Limits.from_config(load_config(resolve_home(args.home), args.config).sandbox)
        except ConfigError as exc:
            raise _Usage(str(exc)) from None
    try:
        return base.replace(cpu_s=args.cpu, mem_mb=args.mem, wall_s=args.wall)
    except ValueError as exc:
        raise _Usage(str(exc)) from None


def _ended(result: RunResult) -> str:
    """How the run ended, in words: `exit 3`, `signal SIGSEGV`, or why it has no exit status."""
    if result.returncode is None:
        return {"timeout": "killed at the wall-clock limit", "output_limit": "killed at the output cap"}.get(
            result.status, "no exit status")
    if result.returncode < 0:
        try:
            return f"signal {signal.Signals(-result.returncode).name}"
        except ValueError:
            return f"signal {-result.returncode}"
    return f"exit {result.returncode}"


def _out(text: str) -> None:
    """Write to stdout; a reader that stopped early (`| head`) is not an error and gets no
    traceback: the rest goes to /dev/null, and the exit status still says how the run went."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        limits = _limits(args)
        code = _read(args.file)
        if args.command == "run":
            stdin = _read(args.stdin) if args.stdin else ""
            result = run_code(code, stdin=stdin, limits=limits)
            if args.json:
                _out(json.dumps(result.to_dict(), indent=2) + "\n")
            else:
                _out(result.stdout)
                sys.stderr.write(result.stderr)
                print(f"sandbox: {result.status} ({_ended(result)}, {result.wall_s:.3f}s wall, "
                      f"{result.cpu_s:.3f}s cpu, {result.peak_rss_mb} MB)", file=sys.stderr)
            return EXIT_OK if result.ok else EXIT_FAILED
        context = _read(args.context) if args.context else ""
        report = run_tests(code, _read(args.tests), entry_point=args.entry_point, context=context, limits=limits)
        if args.json:
            _out(json.dumps(report.to_dict(), indent=2) + "\n")
        else:
            _out("".join(f"{'PASS' if t.passed else 'FAIL'}  {t.name}" + ("" if t.passed else f"  -- {t.error}") + "\n"
                         for t in report.tests)
                 + f"{report.passed}/{report.total} passed; run {report.run.status} ({report.run.wall_s:.3f}s wall)\n")
            for sign in report.judge.get("signs") or []:
                print(f"sandbox: sign of tampering: {sign}", file=sys.stderr)
        return EXIT_OK if report.all_passed else EXIT_FAILED
    except (_Usage, TestsFileError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("sandbox: interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
