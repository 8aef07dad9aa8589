"""What the fork server knows once and every run uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox._cgroup import Slot
from sandbox._zygote import Zygote

if TYPE_CHECKING:
    from sandbox._launch import Warm


@dataclass
class ServerContext:
    """What the fork server knows once and every run uses."""

    mode: str  # "full" (namespaces + uid drop) or "none" (forced or probed degraded)
    zygote: Zygote | None
    own_pidns_fd: int  # to reset pid_ns_for_children before each run's unshare(CLONE_NEWPID)
    work_parent: str  # host dir for degraded runs' work dirs
    slot: Slot
    extra_ro: list[str] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)
    warm: Warm | None = None  # the next run's init, forked ahead
    judged_last: bool = True  # the last run was judged: fork the next one's candidate ahead too
