"""Helpers shared by the commands that talk to the daemon."""

from __future__ import annotations

from ops.client import Client
from ops.context import Context


def client(ctx: Context, timeout: float = 5.0, retries: int = 3) -> Client:
    return Client(ctx.home.root, timeout=timeout, retries=retries)


def call(ctx: Context, op: str, body: dict | None = None, **kw) -> dict:
    """One call to the supervisor; NoDaemonError (exit 3) when there is none."""
    with client(ctx) as c:
        return c.call(op, body or {}, **kw)


def add_parser(sub, common, name: str, doc: str, help_text: str):
    import argparse
    return sub.add_parser(name, parents=[common], help=help_text, description=doc,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
