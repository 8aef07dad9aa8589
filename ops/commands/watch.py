"""`cogloop watch` — print the daemon's events as they happen (state changes, restarts, scores).

Usage:
    cogloop watch [--home H] [--json] [--topic PREFIX] [--count N] [--timeout S]

Examples:
    cogloop watch                      # until ^C
    cogloop watch --json --topic child # JSON lines of child.* events

Subscribes to the PUB socket ipc://HOME/run/events.sock; sends nothing. Exit 3 without a
daemon; 0 after --count events or --timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import zmq

from actors import protocol as P
from ops.client import daemon_running
from ops.commands._daemon import add_parser
from ops.context import Context
from ops.ground.errors import NoDaemonError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "watch", __doc__, "print live events")
    p.add_argument("--topic", default="", metavar="PREFIX", help="only topics starting with PREFIX")
    p.add_argument("--count", type=int, metavar="N", help="exit after N events")
    p.add_argument("--timeout", type=float, metavar="S", help="exit after S seconds")
    p.set_defaults(handler=run)


def format_event(env: dict) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(env["ts"]))
    body = " ".join(f"{k}={v}" for k, v in env["body"].items())
    return f"{stamp} {env['op']:<20} {env['from']:<12} {body}"


def run(ctx: Context, args: argparse.Namespace) -> int:
    if not daemon_running(ctx.home.root):
        raise NoDaemonError(f"no daemon running at {ctx.home.root}")
    codec = P.Codec()
    zctx = zmq.Context()
    sock = zctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.MAXMSGSIZE, codec.max_bytes)
    sock.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    sock.connect(ctx.home.endpoint("events"))
    seen = 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        while args.count is None or seen < args.count:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic()) * 1000
            if not sock.poll(wait):
                break
            frames = sock.recv_multipart()
            try:
                env = codec.decode(frames[-1])
            except P.ProtocolError:
                continue
            seen += 1
            line = json.dumps(env, default=str) if ctx.json else format_event(env)
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close(0)
        zctx.term()
        sys.stdout.flush()
    return 0
