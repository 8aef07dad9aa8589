"""`--help` that helps: every option and argument of every command says what it is for, and
shell completion comes from the same parser (argcomplete)."""

from __future__ import annotations

import pytest

import argparse
import os
import subprocess
import sys

from ops.cli import build_parser

SKIP = (argparse._HelpAction, argparse._VersionAction)


def parsers(parser: argparse.ArgumentParser, path: str = "cogloop"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


@pytest.mark.unit
def test_every_option_and_argument_has_help():
    missing = []
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, SKIP) or isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS or not action.help.strip():
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


@pytest.mark.unit
def test_help_shows_defaults_and_choices():
    text = build_parser()._subparsers._group_actions[0].choices["task"]  # type: ignore[union-attr]
    list_help = text._subparsers._group_actions[0].choices["list"].format_help()  # type: ignore[union-attr]
    assert "default: 50" in list_help and "queued" in list_help


def complete(line: str, tmp_path) -> list[str]:
    """What the shell's completion offers for `line` (argcomplete's protocol, as the function
    `register-python-argcomplete cogloop` installs would ask)."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    proc = subprocess.run([sys.executable, "-m", "ops.cli"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    return [w.strip() for w in out.read_text().split("\n") if w.strip()]


@pytest.mark.process
def test_shell_completion_of_commands_and_options(tmp_path):
    assert {"task", "history", "status", "config"} <= set(complete("cogloop ", tmp_path))
    assert set(complete("cogloop ta", tmp_path)) == {"task"}
    assert {"add", "list", "show", "cancel"} <= set(complete("cogloop task ", tmp_path))
    assert {"--max-attempts", "--title", "--skill"} <= set(complete("cogloop task add --", tmp_path))
    assert set(complete("cogloop history ", tmp_path)) >= {"recent", "progress", "daily", "queue"}
    assert set(complete("cogloop task list --status ", tmp_path)) == {"queued", "leased", "passed", "failed",
                                                                      "error", "cancelled"}
