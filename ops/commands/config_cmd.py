"""`cogloop config` — print the configuration in force, after file, environment and flags.

Usage:
    cogloop config [--home H] [--config F] [--json]

Examples:
    cogloop config --json                   # every key with its value
    COGLOOP_LLM_URL=http://localhost:1234/v1 cogloop config

Sends no message; works without a daemon. A bad file or variable exits 2 with one line
naming the file (or variable) and the key.
"""

from __future__ import annotations

import argparse

from ops.context import Context


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("config", parents=[common], help="show the configuration in force",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    cfg = ctx.config
    data = cfg.to_dict()
    if ctx.json:
        ctx.emit_json({"source": cfg.source, "home": str(ctx.home.root), "config": data})
        return 0
    ctx.say(f"# home: {ctx.home.root}")
    ctx.say(f"# from: {cfg.source} (then COGLOOP_* variables, then flags)")
    for section, values in data.items():
        ctx.say(f"[{section}]")
        for key, value in values.items():
            shown = "***" if key == "api_key" and value != "not-needed" else value
            ctx.say(f"{key} = {shown!r}")
        ctx.say()
    return 0
