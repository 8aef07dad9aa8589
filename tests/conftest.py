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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Run the whole session in a pid namespace of its own (tests/pidns.py), so no daemon a test
    starts can outlive the run, even when the run is killed -9. Re-executes pytest as it was
    invoked; returns here only inside the namespace, or where none can be made (said once)."""
    from tests import pidns

    if not pidns.inside():
        reason = pidns.run(list(sys.orig_argv))
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"tests/pidns.py: {reason}"), stacklevel=2)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh cogloop home folder."""
    h = tmp_path / "home"
    h.mkdir()
    return h


def cogloop_cmd(*args: str) -> list[str]:
    """argv that runs this tree's CLI in a subprocess."""
    return [sys.executable, "-m", "ops.cli", *args]
