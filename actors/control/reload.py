"""`reload`: re-read the configuration and the authorised keys; a bad one is refused and nothing changes.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "reload", "body": {}}
    reply    {"reloaded": true}; bad_request with the configuration's one-line error
    CLI      cogloop reload (ops/commands/reload.py; the systemd unit's ExecReload), or
             kill -HUP $(cat HOME/run/supervisor.pid)   (`on_hangup`)

`start` is the first configuration, at the daemon's start. The reload path: the file, the
environment and the `up` flags again; plugins; new timings, limits and restart policy for every
child (roster); the LLM endpoints (endpoints.py: one kept by its URL keeps its figures and
breaker) and the embedded server's URL given to actors; new children started, removed ones
stopped and then forgotten; warm spares dismissed (they hold the old configuration); the
authorised CURVE keys read again (sockets.py; they are also when they change). Event
`supervisor.reloaded`, on record, or `supervisor.reload_failed` for a SIGHUP that was refused.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from actors.protocol import Op
from actors.runtime import load_plugins
from actors.supervision.children import child_specs
from actors.supervision.endpoints import endpoint_specs
from actors.supervision.lifecycle import Spawn
from ops.ground.config import load_config
from ops.ground.errors import CogloopError, ConfigError

log = logging.getLogger("cogloop.supervisor")

OPS = (Op("reload", "supervisor", "cli", {}, {"reloaded": "bool"}, "cogloop reload",
          "re-read the configuration and the authorised CURVE keys (also SIGHUP)"),)


def handle(sup: Any, req: Any) -> dict[str, Any]:
    reload(sup)
    return {"reloaded": True}


def on_hangup(sup: Any) -> None:
    """SIGHUP: reload, or say in the log and an event why not."""
    try:
        reload(sup)
        log.info("configuration reloaded")
    except CogloopError as exc:
        log.error("reload refused, keeping the old configuration: %s", exc)
        sup.publish("supervisor.reload_failed", {"error": str(exc)})


def start(sup: Any) -> None:
    """The first configuration, when the daemon starts: the children are added, and started in
    order by the housekeeping."""
    specs, notes = child_specs(sup.cfg, sup.home.root)
    for note in notes:
        log.warning(note)
    configure(sup, sup.cfg, specs, notes)
    sup.roster.add(specs)
    sup.sampler.start()
    sup.publish("supervisor.start", {"pid": os.getpid(), "children": sup.roster.order, "notes": notes,
                                     "unclean_exit_of": sup.unclean_pid})
    if sup.unclean_pid:
        sup.publish("supervisor.crash", {"pid": sup.unclean_pid, "reason": "the previous supervisor exited "
                                         "without releasing its pidfile (kill -9, OOM or power loss)"})


def reload(sup: Any) -> None:
    cfg = load_config(sup.home.root, sup.config_file, overrides=sup.overrides)
    load_plugins(cfg.daemon.plugins)
    try:
        specs, notes = child_specs(cfg, sup.home.root)
    except ValueError as exc:  # daemon.children names an unknown kind, or is malformed
        raise ConfigError(str(exc)) from None
    sup.changed()
    configure(sup, cfg, specs, notes)
    sup.sockets.reload_keys()
    sup.launcher.spares.dismiss()
    now = time.monotonic()
    for child in sup.roster.retire({s.name for s in specs}):
        if child.proc is not None:  # forgotten once it has exited (its exit sees it removed)
            sup.apply(child, child.life.end("stop", True, now))
        else:
            sup.apply(child, child.life.halt(f"{child.name} was removed"))
            sup.roster.forget(child.name)
    for child in sup.roster.add(specs):
        sup.apply(child, [Spawn()])
    sup.publish("supervisor.reloaded", {"children": sup.roster.order, "notes": notes})


def configure(sup: Any, cfg: Any, specs: list[Any], notes: list[str]) -> None:
    """What a configuration sets in the parts, at start and on every reload."""
    sup.cfg, sup.notes = cfg, notes
    sup.endpoints.configure(endpoint_specs(cfg, specs), cfg.llm)
    sup.launcher.cfg = cfg
    embedded = [s.url for s in specs if s.kind == "llm" and s.url]
    # the first embedded server's URL, for actors that read llm.url (a configured URL they have)
    sup.launcher.llm_url = embedded[0] if embedded and cfg.uses_embedded_model else ""
    sup.roster.configure(cfg)
