"""The endpoint file `HOME/run/llm.json`: the embedded server announces its URL there, and
clients with no URL configured read it whenever they (re)connect, so a restarted server on a
new port is found again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENDPOINT_FILE = "llm.json"  # in HOME/run: {"url", "model", "pid", "port", "model_path"}


def write_endpoint(run_dir: Path, info: dict[str, Any]) -> Path:
    """Atomically write HOME/run/llm.json (rename, so readers never see half a file)."""
    path = Path(run_dir) / ENDPOINT_FILE
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)
    return path


def read_endpoint(run_dir: Path | None) -> dict[str, Any] | None:
    if run_dir is None:
        return None
    try:
        info = json.loads((Path(run_dir) / ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("url"), str) else None
