"""Generate docs/cli.md from the CLI itself: each command's docstring and its `--help`.

    python -m ops.clidoc > docs/cli.md

The page is only ever as current as the code: tests/test_clidoc.py fails when it is stale or
a command is missing, and when a command of docs/architecture.md's CLI contracts is not built.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from contextlib import redirect_stdout

from ops.cli import build_parser

HEADER = """# CLI reference

Generated from the commands' docstrings and `--help` by `python -m ops.clidoc > docs/cli.md`;
do not edit by hand (tests/test_clidoc.py checks it is current).

Every command accepts `--home DIR`, `--config FILE` and `--json` after its name. HOME is
`--home`, else `COGLOOP_HOME`, else `~/.cogloop`. Exit status: 0 done, 1 the operation
failed, 2 usage or configuration error, 3 no daemon running at HOME. Errors are one line on
stderr (`cogloop: ...`), never a traceback.

"""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(parser: argparse.ArgumentParser) -> str:
    """`--help` without the description (the docstring is shown above it), at a fixed width."""
    saved = parser.description
    parser.description = None
    try:
        return parser.format_help()
    finally:
        parser.description = saved


def render() -> str:
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: fix it for a stable page
    parser = build_parser()
    commands = _subcommands(parser)
    out = [HEADER, "## Commands\n"]
    out += [f"- [`{name}`](#{name}) — {commands[name].description.strip().splitlines()[0].split(' — ', 1)[-1]}"
            if commands[name].description else f"- `{name}`" for name in commands]
    for name, sub in commands.items():
        title, _, body = (sub.description or f"`cogloop {name}`").strip().partition("\n")
        out.append(f"\n## {name}\n\n{title}\n\n```text\n{body.strip()}\n```\n")
        out.append(f"```text\n{_help(sub).strip()}\n```")
        for child_name, child in _subcommands(sub).items():
            out.append(f"\n### {name} {child_name}\n\n```text\n{_help(child).strip()}\n```")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    with redirect_stdout(io.StringIO()):
        page = render()
    sys.stdout.write(page)
