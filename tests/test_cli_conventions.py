"""The CLI contracts of docs/architecture.md, checked over every command at once: --home/--config/--json after
every subcommand, exit 3 without a daemon, exit 2 with one line for usage errors, no tracebacks."""

from __future__ import annotations

import contextlib
import io
import subprocess

import pytest

from ops.cli import build_parser, main
from tests.conftest import cogloop_cmd

# Every leaf command with the minimal positional arguments it needs.
LEAVES = [["config"], ["up"], ["down"], ["status"], ["pause"], ["resume"], ["restart", "memory"],
          ["watch"], ["logs", "memory"], ["actor", "builder"], ["task", "add"], ["task", "list"],
          ["task", "show", "x"], ["task", "cancel", "x"], ["history"], ["export"], ["reload"],
          ["import", "tasks", "f.json"], ["import", "humaneval"], ["wait"], ["report"], ["datasette"],
          ["exam", "create"], ["exam", "run"], ["exam", "show"],
          ["backup", "f.db"], ["doctor"]]
NEEDS_DAEMON = [["down"], ["status"], ["pause"], ["resume"], ["restart", "memory"], ["reload"]]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cogloop_cmd(*args), capture_output=True, text=True, timeout=timeout)


def run_in_process(*args: str) -> tuple[int, str, str]:
    """main() in this process (argparse exits before any command runs): fast for parser checks."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.unit
def test_every_parser_command_is_covered_here():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {leaf[0] for leaf in LEAVES} == set(sub.choices)


@pytest.mark.unit
@pytest.mark.parametrize("leaf", LEAVES, ids=lambda l: " ".join(l))
def test_common_options_after_every_subcommand(leaf):
    args = build_parser().parse_args([*leaf, "--home", "/h", "--config", "/c.toml", "--json"])
    assert (args.home, args.config, args.json) == ("/h", "/c.toml", True)


@pytest.mark.unit
@pytest.mark.parametrize("leaf", LEAVES, ids=lambda l: " ".join(l))
def test_unknown_option_is_one_line_exit_2(leaf, home):
    code, _, err = run_in_process(*leaf, "--no-such-option", "--home", str(home))
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.process
@pytest.mark.parametrize("leaf", NEEDS_DAEMON, ids=lambda l: " ".join(l))
def test_no_daemon_is_exit_3_one_line(leaf, home):
    proc = run(*leaf, "--home", str(home))
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no daemon running" in lines[0] and str(home) in lines[0]


@pytest.mark.unit
@pytest.mark.parametrize("leaf", LEAVES, ids=lambda l: " ".join(l))
def test_help_has_usage_and_examples(leaf):
    code, out, _ = run_in_process(*leaf, "--help")
    assert code == 0 and out.startswith("usage: cogloop")
    assert "example" in out.lower(), f"'cogloop {' '.join(leaf)} --help' shows no example"
