"""`pause` / `resume`: builders stop leasing new tasks (running attempts finish), and go on.

    message  {"kind": "ask", "from": "cli", "to": "supervisor", "op": "pause" | "resume", "body": {}}
    reply    {"paused": true | false}
    CLI      cogloop pause | cogloop resume   (ops/commands/pause.py)

The daemon's pause is kept here and nowhere else (`sup.paused`, shown by `status`): every actor
is told `actor.pause` / `actor.resume` (BusActor then stops or resumes calling `work()`), and a
child that (re)starts while the daemon is paused starts paused (`--paused`, or ` paused` after a
warm spare's name: it never calls work() before the supervisor's word), and is told
`actor.pause` or `actor.resume` once it is up (`on_ready`), whichever the daemon is by then.
Events `supervisor.paused` / `supervisor.resumed`, on record.
"""

from __future__ import annotations

from typing import Any

from actors.protocol import Op

OPS = (
    Op("pause", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop pause",
       "builders stop leasing new tasks; running attempts finish"),
    Op("resume", "supervisor", "cli", {}, {"paused": "bool"}, "cogloop resume"),
)


def handle(sup: Any, req: Any) -> dict[str, Any]:
    set_paused(sup, req.env["op"] == "pause")
    return {"paused": sup.paused}


def set_paused(sup: Any, paused: bool) -> None:
    sup.paused = paused
    sup.changed()
    op = "actor.pause" if paused else "actor.resume"
    for child in sup.roster:
        if child.life.routable and not child.spec.external:
            sup.tell(child.name, op)
    sup.publish("supervisor.paused" if paused else "supervisor.resumed", {"paused": paused})


def on_ready(sup: Any, child: Any) -> None:
    """A child is up: paused with the rest if the daemon is; resumed if it was started paused
    (the daemon was then) and the daemon has been resumed since."""
    if child.spec.external:
        return
    if sup.paused:
        sup.tell(child.name, "actor.pause")
    elif child.started_paused:
        sup.tell(child.name, "actor.resume")
