"""`cogloop reload` — make the daemon read its configuration and authorised keys again.

Usage:
    cogloop reload [--home H] [--json]

Examples:
    cogloop reload                 # after editing HOME/cogloop.toml, e.g. another [[llm.endpoints]]
    systemctl reload cogloop       # the unit's ExecReload runs this

Sends `reload` to the supervisor (the same as `kill -HUP`): the configuration file and
COGLOOP_* variables of the daemon's start are read again with its flags on top; timings and
limits apply at once, the LLM endpoints are replaced (one kept by its URL keeps its figures),
children added or removed are started or stopped, and the authorised CURVE keys are read again
(a key issued with `cogloop actor --issue-keys` is taken even without this). A bad file is
refused in one line, exit 2, and the daemon keeps what it had. Exit 3 without a daemon.
"""

from __future__ import annotations

import argparse

from ops.client import RemoteFailure
from ops.commands._daemon import add_parser, call
from ops.context import Context
from ops.ground.errors import ConfigError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    add_parser(sub, common, "reload", __doc__, "reload the configuration and keys").set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    try:
        out = call(ctx, "reload", retries=1)
    except RemoteFailure as exc:
        raise ConfigError(f"reload refused, the daemon keeps its configuration: {exc.message}") from None
    if ctx.json:
        ctx.emit_json(out)
    else:
        ctx.say("reloaded")
    return 0
