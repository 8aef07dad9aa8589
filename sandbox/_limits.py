"""Resource limits of one sandboxed run (docs/contracts.md, Sandbox API)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ops.ground.config import SandboxConfig

# The defaults are the configuration's ([sandbox] in cogloop.toml): written once, there.
_DEFAULT = SandboxConfig()


@dataclass(frozen=True)
class Limits:
    """What one run may use. Every field is enforced in the child before the code starts.

    cpu_s: CPU seconds per process (RLIMIT_CPU); wall_s: wall-clock seconds for the whole run;
    mem_mb: memory of the whole process tree (memory cgroup) and address space per process
    (RLIMIT_AS, plus a little slack for the interpreter); fsize_mb: largest file (RLIMIT_FSIZE)
    and, times four, the size of the private /tmp; nofile: open files; nproc: processes and
    threads of the tree (pids cgroup, else RLIMIT_NPROC); output_bytes: cap on stdout and on
    stderr each.
    """

    cpu_s: float = _DEFAULT.cpu_s
    mem_mb: int = _DEFAULT.mem_mb
    wall_s: float = _DEFAULT.wall_s
    fsize_mb: int = _DEFAULT.fsize_mb
    nofile: int = _DEFAULT.nofile
    nproc: int = _DEFAULT.nproc
    output_bytes: int = _DEFAULT.output_bytes

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"sandbox limit {f.name} must be a positive number, got {value!r}")

    @classmethod
    def from_config(cls, cfg: Any) -> "Limits":
        """Build from `ops.ground.config.SandboxConfig` (or anything with the same attributes)."""
        return cls(**{f.name: getattr(cfg, f.name) for f in fields(cls)})

    def replace(self, **changes: Any) -> "Limits":
        """A copy with some limits changed; None values are ignored (CLI flags not given)."""
        data = self.to_dict()
        data.update({k: v for k, v in changes.items() if v is not None})
        return Limits(**data)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # scalars: no deep copy (asdict's)
