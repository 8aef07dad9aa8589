"""Where a cogloop home keeps its files (docs/architecture.md, Data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


def resolve_home(flag: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    """HOME is `--home`, else `COGLOOP_HOME`, else `~/.cogloop`."""
    env = os.environ if env is None else env
    raw = flag or env.get("COGLOOP_HOME") or "~/.cogloop"
    return Path(raw).expanduser().absolute()


@dataclass(frozen=True)
class Home:
    """The paths inside one home folder; `ensure()` creates them with safe modes."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "history.db"

    @property
    def config_file(self) -> Path:
        return self.root / "cogloop.toml"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def code_archive(self) -> Path:
        return self.root / "code_archive"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def pidfile(self) -> Path:
        return self.run / "supervisor.pid"

    def endpoint(self, name: str) -> str:
        """The ipc endpoint of one of the supervisor's sockets: bus, control or events."""
        return f"ipc://{self.run / (name + '.sock')}"

    def ensure(self) -> "Home":
        self.root.mkdir(parents=True, exist_ok=True)
        for sub in (self.logs, self.code_archive):
            sub.mkdir(exist_ok=True)
        # The run dir holds the control socket: only the owner may even look inside.
        self.run.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.run, 0o700)
        return self
