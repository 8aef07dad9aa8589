"""The `cogloop` command: a thin argparse shell over the commands in `ops/commands/`.

Conventions every command follows (docs/architecture.md, CLI contracts):
- `--home`, `--config` and `--json` are accepted after every subcommand;
- exit status 0 done, 1 the operation failed, 2 usage or configuration error,
  3 no daemon running at HOME;
- errors are one line on stderr (`cogloop: ...`), never a traceback.

Shell completion (bash, zsh, fish) comes from this same parser through argcomplete:
`eval "$(register-python-argcomplete cogloop)"` in ~/.bashrc.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ops import __version__
from ops.commands import COMMANDS
from ops.context import Context
from ops.exitcodes import EXIT_FAILED, EXIT_USAGE, exit_status
from ops.ground.errors import CogloopError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"cogloop: usage error: {message} (try '{self.prog} --help')\n")


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS: a subcommand's parser must not overwrite a value given before the subcommand.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("common options")
    group.add_argument("--home", metavar="DIR", help="home folder (default: $COGLOOP_HOME, else ~/.cogloop)")
    group.add_argument("--config", metavar="FILE", help="TOML configuration (default: HOME/cogloop.toml)")
    group.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = _Parser(
        prog="cogloop",
        description="A Builder-Trainer cognitive loop for local LLMs.",
        epilog="Run 'cogloop COMMAND --help' for a command's options and examples. "
        "Exit status: 0 done, 1 failed, 2 usage or configuration error, 3 no daemon running.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"cogloop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: argcomplete answers and exits
        import argcomplete  # only then: it costs 20 ms of start-up

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    ctx = Context.from_args(args)
    try:
        return int(handler(ctx, args) or 0)
    except CogloopError as exc:
        print(f"cogloop: {exc}", file=sys.stderr)
        return exit_status(exc)
    except KeyboardInterrupt:
        print("cogloop: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:  # the contract: one line, never a traceback
        print(f"cogloop: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
