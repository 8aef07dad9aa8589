"""`config`: the daemon's effective configuration and its LLM endpoints, keys included.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "config", "body": {}}
    reply    {"config": {section: {key: value}}, "source": "HOME/cogloop.toml",
              "endpoints": [{"url", "model", "api_key", "max_concurrency", "child"}]}
    CLI      cogloop doctor   (ops/commands/doctor_cmd.py: it checks the endpoints the daemon uses,
             `up --llm-url` and the daemon's environment included, with their keys)

What the daemon runs with: the file, its environment and the `up` flags, as last (re)loaded.
The keys are in the reply because doctor needs them to ask the servers as the builders do; the
control socket is its owner's only (0600 in a 0700 run dir), and doctor never prints them.
"""

from __future__ import annotations

from typing import Any

from actors.protocol import Op
from actors.supervision.endpoints import endpoint_specs

OPS = (Op("config", "supervisor", "cli", {}, {"config": "map", "source": "str", "endpoints": "list"},
          "cogloop doctor", "the daemon's effective configuration and its LLM endpoints (with their keys: "
          "the control socket is its owner's only)"),)


def handle(sup: Any, req: Any) -> dict[str, Any]:
    local = [c.spec for c in sup.roster if not c.remote]
    return {"config": sup.cfg.to_dict(), "source": sup.cfg.source,
            "endpoints": [{"child": "", **e} for e in endpoint_specs(sup.cfg, local)]}
