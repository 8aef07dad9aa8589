"""`restart`: restart one child now; revives one that went FATAL.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "restart", "body": {"actor": "builder-1"}}
    reply    {"actor": "builder-1", "state": "starting" | "running"}
    errors   bad_request: no child of that name (the message lists them), or the daemon is stopping
    CLI      cogloop restart ACTOR   (ops/commands/restart.py)

A live child is asked to stop (`actor.stop`, then SIGTERM and SIGKILL a grace apart) and
started again when it has exited; a FATAL or stopped one starts at once. Either way its restart
history is cleared (lifecycle.py, `Lifecycle.restart`). Event `child.restart`, reason operator.
"""

from __future__ import annotations

import time
from typing import Any

from actors.protocol import Op
from ops.ground.errors import CogloopError

OPS = (Op("restart", "supervisor", "cli", {"actor": "str"}, {"actor": "str", "state": "str"},
          "cogloop restart ACTOR", "restart one child; revives a FATAL one"),)


def handle(sup: Any, req: Any) -> dict[str, Any]:
    child = sup.roster.local(req.body["actor"])
    if sup.stopping:
        raise CogloopError("the daemon is stopping")
    sup.apply(child, child.life.restart(time.monotonic()))
    sup.changed()
    return {"actor": child.name, "state": child.state}
