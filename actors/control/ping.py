"""`ping`: is the daemon there, and answering?

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "ping", "body": {}}
    reply    {"pong": 1764370000.5}            the supervisor's clock (time.time())
    CLI      none: `cogloop status` asks the same and more
"""

from __future__ import annotations

import time
from typing import Any

from actors.protocol import Op

OPS = (Op("ping", "supervisor", "cli", {}, {"pong": "float"}, "", "liveness check"),)


def handle(sup: Any, req: Any) -> dict[str, Any]:
    return {"pong": time.time()}
