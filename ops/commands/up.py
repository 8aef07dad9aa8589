"""`cogloop up` — start the daemon (the supervisor and its actors).

Usage:
    cogloop up [--home H] [--config F] [--detach] [--builders N] [--llm-url URL] [--model M]

Examples:
    cogloop up                                   # foreground: for containers and systemd
    cogloop up --detach --builders 2             # background; returns once `status` answers
    cogloop up --llm-url http://localhost:1234/v1 --model qwen2.5-coder

The flags override the configuration (file < COGLOOP_* variables < flags) for this run;
the children see the same values. `--detach` logs to HOME/logs/supervisor.log and returns
only when the daemon answers `status` (exit 0); otherwise it prints the last log lines and
exits 1. A second `up` on the same home refuses (exit 1). Sends `status` when detached.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from ops.client import Client, daemon_running
from ops.commands._daemon import add_parser
from ops.context import Context
from ops.ground.errors import CogloopError

CODE_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = add_parser(sub, common, "up", __doc__, "start the daemon")
    p.add_argument("--detach", action="store_true", help="run in the background with log files")
    add_override_flags(p)
    p.set_defaults(handler=run)


def add_override_flags(p: argparse.ArgumentParser) -> None:
    """The configuration flags of `up` (also taken by `config`, to show what `up` would use)."""
    p.add_argument("--builders", type=int, metavar="N", help="number of builder actors (daemon.builders)")
    p.add_argument("--llm-url", metavar="URL", help="OpenAI base URL including /v1 (llm.url)")
    p.add_argument("--model", metavar="M", help="model name at that URL (llm.model)")


def overrides_from(args: argparse.Namespace) -> dict:
    """The flags given, as dotted configuration keys."""
    given = {"daemon.builders": args.builders, "llm.url": args.llm_url, "llm.model": args.model}
    return {k: v for k, v in given.items() if v is not None}


def supervisor_argv(ctx: Context, overrides: dict) -> list[str]:
    argv = ["--home", str(ctx.home.root)]
    if ctx.config_file:
        argv += ["--config", str(Path(ctx.config_file).absolute())]
    for key, value in overrides.items():
        if value is not None:
            argv += ["--set", f"{key}={value}"]
    return argv


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run(ctx: Context, args: argparse.Namespace) -> int:
    ctx.overrides.update(overrides_from(args))
    ctx.config  # a bad file or flag fails here, exit 2, before anything starts
    if daemon_running(ctx.home.root):
        raise CogloopError(f"a daemon is already running at {ctx.home.root}; 'cogloop down' stops it")
    argv = supervisor_argv(ctx, ctx.overrides)
    if not args.detach:
        import supervisor
        return supervisor.main(argv)
    ctx.home.ensure()
    log_file = ctx.home.logs / "supervisor.log"
    out_file = ctx.home.logs / "supervisor.out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), env.get("PYTHONPATH")]))
    with open(out_file, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "supervisor", *argv, "--log-file", str(log_file)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env, cwd=str(ctx.home.root))
    deadline = time.monotonic() + START_TIMEOUT_S
    with Client(ctx.home.root, timeout=1.0, retries=1) as client:
        while time.monotonic() < deadline and proc.poll() is None:
            if daemon_running(ctx.home.root) and (ctx.home.run / "control.sock").exists():
                try:
                    status = client.call("status")["status"]
                except CogloopError:
                    time.sleep(0.1)
                    continue
                if ctx.json:
                    ctx.emit_json(status)
                else:
                    ctx.say(f"cogloop daemon up at {ctx.home.root} (pid {status['pid']}); logs in {ctx.home.logs}")
                return 0
            time.sleep(0.1)
    why = "exited" if proc.poll() is not None else f"did not answer within {START_TIMEOUT_S:g}s"
    tail = "\n".join(filter(None, [_tail(out_file), _tail(log_file)]))
    print(tail, file=sys.stderr)
    raise CogloopError(f"the daemon {why}; the last log lines are above")
