"""One module per CLI command (after circus' `commands/`): each documents its usage, the
message it sends to the daemon (if any) and registers itself with `register(sub, common)`.

A command module exposes `register(subparsers, common)` which adds its parser and sets
`handler=callable(ctx, args) -> int` on it. Add new modules to COMMANDS below.
"""

from __future__ import annotations

from ops.commands import actor, config_cmd, down, logs, pause, restart, status, up, watch

COMMANDS = [config_cmd, up, down, status, pause, restart, watch, logs, actor]
