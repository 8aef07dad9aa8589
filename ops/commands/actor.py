"""`cogloop actor KIND` — run one actor in this process, e.g. a builder on another host.

Usage:
    cogloop actor KIND --connect ENDPOINT [--name NAME] [--keys DIR] [--home H] [--config F]
    cogloop actor --issue-keys DIR --name NAME [--home H]

Examples:
    # on the daemon's host: make keys for a remote builder, authorise them, copy DIR over
    cogloop actor --issue-keys /tmp/remote-keys --name builder-remote-1
    # on the remote host (daemon.tcp_bus = "tcp://0.0.0.0:5555" on the daemon):
    cogloop actor builder --connect tcp://daemon-host:5555 --name builder-remote-1 --keys ~/remote-keys

A tcp bus needs CURVE keys (DIR holds client.key_secret and server.key, the secret 0600);
plain tcp is refused (exit 2). A running daemon takes newly issued keys at once (no restart,
no reload). The actor joins with its first heartbeat and shows in `status`; it exits when the
bus goes away, and with one line "not authorised" (exit 2) when the daemon refuses its key.
Its LLM requests go to the endpoints the daemon assigns: their URLs must be reachable from the
actor's host. Sends heartbeats and whatever the actor sends.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ops.commands._daemon import add_parser
from ops.context import Context
from ops.ground.errors import UsageError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "actor", __doc__, "run one actor (scale-out)")
    p.add_argument("kind", nargs="?", metavar="KIND", help="the actor to run: builder, scorer, trainer or memory")
    p.add_argument("--connect", metavar="ENDPOINT", help="the bus: tcp://HOST:PORT (CURVE) or ipc://...")
    p.add_argument("--name", metavar="NAME", help="actor name (default: KIND-remote-PID)")
    p.add_argument("--keys", metavar="DIR", help="CURVE client keys for a tcp bus")
    p.add_argument("--issue-keys", metavar="DIR", help="make and authorise client keys for --name into DIR")
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.issue_keys:
        if not args.name:
            raise UsageError("--issue-keys needs --name NAME")
        from actors.supervision.curve import issue_client_keys
        out = issue_client_keys(ctx.home.keys, args.name, Path(args.issue_keys))
        ctx.say(f"client keys for {args.name} in {out} (copy the folder to the actor's host); authorised in "
                f"{ctx.home.keys / 'authorized'} (a running daemon takes them at once)")
        return 0
    if not args.kind or not args.connect:
        raise UsageError("cogloop actor KIND --connect ENDPOINT [--keys DIR], or cogloop actor --issue-keys DIR "
                         "--name NAME")
    import os
    from actors import runtime
    argv = ["--name", args.name or f"{args.kind}-remote-{os.getpid()}", "--kind", args.kind,
            "--home", str(ctx.home.root), "--connect", args.connect]
    if ctx.config_file:
        argv += ["--config", ctx.config_file]
    if args.keys:
        argv += ["--keys", args.keys]
    return runtime.main(argv)
