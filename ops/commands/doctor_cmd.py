"""`cogloop doctor` — check the model endpoint, the sandbox, the database and the disk.

Usage:
    cogloop doctor [--home H] [--config F] [--llm-url URL] [--json]

Examples:
    cogloop doctor
    cogloop doctor --llm-url http://localhost:11434/v1
    COGLOOP_LLM_URL=http://localhost:1234/v1 cogloop doctor --json

Needs no daemon. When one runs at HOME, it is asked for its effective configuration (`config`:
the URLs, models and keys it was started with, `up --llm-url` included) and for `status`, so the
endpoints checked are the daemon's and its view of each (from its builders' calls) is shown;
`--llm-url` checks that URL instead. One line per check -- `ok`, `warn` or `fail`, what was
found, and a fix where one exists:
    llm       each endpoint lists a model a call can use, asked with its key (or the embedded
              model is installed); a warning when the daemon's calls meet errors there
    sandbox   sandbox.isolation_level(): network, filesystem, pid, uid isolation (degraded = warn)
    database  PRAGMA integrity_check on HOME/history.db, read-only
    record    the record's invariants: one score per attempt, none beyond max_attempts, passes that
              agree between scores and tasks, no task failed without a scored attempt
    disk      free space where HOME lives
Exit 0 when nothing fails (warnings allowed), 1 when a check fails, 2 on a bad configuration.
"""

from __future__ import annotations

import argparse
import dataclasses

from ops.context import Context
from ops.doctor import FAIL, check_database, check_disk, check_llm, check_record, check_sandbox


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("doctor", parents=[common], help="check the endpoint, sandbox, database and disk",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--llm-url", metavar="URL", help="check this OpenAI base URL (with /v1) instead")
    p.set_defaults(handler=run)


def daemon_view(ctx: Context) -> tuple[list[dict] | None, dict[str, str]]:
    """The running daemon's endpoints (with their keys) and its state of each; (None, {}) when
    no daemon runs at HOME (or it does not answer)."""
    from ops.client import Client, daemon_running
    from ops.ground.errors import CogloopError

    if not daemon_running(ctx.home.root):
        return None, {}
    try:
        with Client(ctx.home.root, timeout=3.0, retries=1) as c:
            endpoints = c.call("config")["endpoints"]
            llm = c.call("status")["status"]["llm"]
    except CogloopError:
        return None, {}
    return endpoints, {e["url"]: e["state"] for e in llm.get("endpoints") or []}


def run(ctx: Context, args: argparse.Namespace) -> int:
    cfg = ctx.config  # a bad configuration exits 2 here, before any check
    if args.llm_url:
        endpoints, seen = [{"url": args.llm_url, "model": cfg.llm.model, "api_key": cfg.llm.api_key}], {}
    else:
        endpoints, seen = daemon_view(ctx)
    checks = [*check_llm(cfg, endpoints=endpoints, seen=seen), check_sandbox(), check_database(ctx.home.db),
              check_record(ctx.home.db), check_disk(ctx.home.root)]
    failed = any(c.status == FAIL for c in checks)
    if ctx.json:
        ctx.emit_json({"ok": not failed, "checks": [dataclasses.asdict(c) for c in checks]})
    else:
        for c in checks:
            ctx.say(f"{c.status:<4}  {c.name:<8}  {c.detail}" + (f"  -> {c.fix}" if c.fix and c.status != "ok" else ""))
    return 1 if failed else 0
