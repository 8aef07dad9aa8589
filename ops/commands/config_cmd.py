"""`cogloop config` — print the configuration in force, after file, environment and flags.

Usage:
    cogloop config [--builders N] [--llm-url URL] [--model M] [--home H] [--config F] [--json]

Prints TOML that `--config` reads back, each value commented with the layer that set it:
`default`, `file`, `environment NAME` or `flag` (the flags are those of `cogloop up`, so
`cogloop config --llm-url URL` shows what `cogloop up --llm-url URL` would run with).
Secrets (llm.api_key) are never printed, not even masked: their line is a comment naming
the variable that sets them. `--json` prints {"home", "source", "config", "origins",
"secrets"}, with the same keys left out of "config".

Examples:
    cogloop config > my.toml && cogloop up --config my.toml     # round-trips
    COGLOOP_DAEMON_BUILDERS=2 cogloop config | grep builders    # builders = 2  # environment ...
    cogloop config --json | jq .origins

Sends no message; works without a daemon. A bad file or variable exits 2 with one line
naming the file (or variable) and the key.
"""

from __future__ import annotations

import argparse

from ops.commands.up import add_override_flags, overrides_from
from ops.context import Context
from ops.ground.config_toml import to_json, to_toml


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("config", parents=[common], help="show the configuration in force",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_override_flags(p)
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    ctx.overrides.update(overrides_from(args))
    cfg = ctx.config
    if ctx.json:
        ctx.emit_json({"source": cfg.source, "home": str(ctx.home.root), **to_json(cfg)})
        return 0
    file = cfg.source if cfg.source != "defaults" else f"none ({ctx.home.config_file} does not exist)"
    ctx.say(to_toml(cfg, header=[
        f"cogloop configuration in force for home {ctx.home.root}",
        f"file: {file}",
        "layers: default < file < environment (COGLOOP_*, OPENAI_*) < flag; each line names its own",
        "reads back: cogloop config > my.toml && cogloop up --config my.toml",
    ]).rstrip("\n"))
    return 0
