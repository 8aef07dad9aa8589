"""Shared fixtures. Every subprocess a test starts imports this tree, not an installed copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
# Tests never talk to a model server the developer happens to have configured.
for _name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
    os.environ.pop(_name, None)
for _name in [n for n in os.environ if n.startswith("COGLOOP_")]:
    os.environ.pop(_name, None)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh cogloop home folder."""
    h = tmp_path / "home"
    h.mkdir()
    return h


def cogloop_cmd(*args: str) -> list[str]:
    """argv that runs this tree's CLI in a subprocess."""
    return [sys.executable, "-m", "ops.cli", *args]
