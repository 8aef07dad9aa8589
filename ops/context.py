"""What every command gets: the home, the configuration (loaded on first use) and output helpers."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from ops.ground.config import Config, load_config
from ops.ground.home import Home, resolve_home


@dataclass
class Context:
    home: Home
    json: bool = False
    config_file: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _config: Config | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Context":
        return cls(
            home=Home(resolve_home(getattr(args, "home", None))),
            json=bool(getattr(args, "json", False)),
            config_file=getattr(args, "config", None) or os.environ.get("COGLOOP_CONFIG"),
            overrides=dict(getattr(args, "overrides", {}) or {}),
        )

    @property
    def config(self) -> Config:
        """Loaded on first use, so commands that need none never fail on a bad file."""
        if self._config is None:
            self._config = load_config(self.home.root, self.config_file, overrides=self.overrides)
        return self._config

    def emit_json(self, data: Any) -> None:
        json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")

    def say(self, text: str = "") -> None:
        print(text)
