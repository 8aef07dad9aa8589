"""docs/cli.md documents every command of the CLI and is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ops.cli import build_parser
from ops.clidoc import _subcommands

ROOT = Path(__file__).resolve().parent.parent


def test_cli_page_is_current():
    page = subprocess.run([sys.executable, "-m", "ops.clidoc"], capture_output=True, text=True, cwd=ROOT, check=True)
    assert (ROOT / "docs" / "cli.md").read_text() == page.stdout, \
        "docs/cli.md is stale: python -m ops.clidoc > docs/cli.md"


def test_every_command_has_a_section_with_usage_and_example():
    text = (ROOT / "docs" / "cli.md").read_text()
    for name, sub in _subcommands(build_parser()).items():
        assert f"\n## {name}\n" in text, name
        assert "Usage:" in (sub.description or ""), f"{name}: docstring without Usage"
