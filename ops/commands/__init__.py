"""One module per CLI command (after circus' `commands/`): each documents its usage, the
message it sends to the daemon (if any) and registers itself with `register(sub, common)`.

A command module exposes `register(subparsers, common)` which adds its parser and sets
`handler=callable(ctx, args) -> int` on it. Add new modules to COMMANDS below.
"""

from __future__ import annotations

from ops.commands import (actor, backup_cmd, config_cmd, datasette_cmd, doctor_cmd, down, exam_cmd, export_cmd,
                          history_cmd, import_cmd, logs, pause, reload, report_cmd, restart, status, task_cmd, up,
                          wait_cmd, watch)

COMMANDS = [config_cmd, up, down, status, pause, restart, reload, watch, logs, actor, task_cmd, history_cmd,
            export_cmd, import_cmd, wait_cmd, report_cmd, exam_cmd, datasette_cmd, backup_cmd, doctor_cmd]
