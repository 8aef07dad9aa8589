"""`cogloop doctor` — check the model endpoint, the sandbox, the database and the disk.

Usage:
    cogloop doctor [--home H] [--config F] [--json]

Examples:
    cogloop doctor
    COGLOOP_LLM_URL=http://localhost:1234/v1 cogloop doctor --json

Sends no message and needs no daemon. One line per check -- `ok`, `warn` or `fail`, what was
found, and a fix where one exists:
    llm       GET llm.url/models answers and lists llm.model (or the embedded model is installed)
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
    p.set_defaults(handler=run)


def run(ctx: Context, args: argparse.Namespace) -> int:
    cfg = ctx.config  # a bad configuration exits 2 here, before any check
    checks = [check_llm(cfg), check_sandbox(), check_database(ctx.home.db), check_record(ctx.home.db),
              check_disk(ctx.home.root)]
    failed = any(c.status == FAIL for c in checks)
    if ctx.json:
        ctx.emit_json({"ok": not failed, "checks": [dataclasses.asdict(c) for c in checks]})
    else:
        for c in checks:
            ctx.say(f"{c.status:<4}  {c.name:<8}  {c.detail}" + (f"  -> {c.fix}" if c.fix and c.status != "ok" else ""))
    return 1 if failed else 0
