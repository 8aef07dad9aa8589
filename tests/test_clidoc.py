"""docs/cli.md documents every command of the CLI and is current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ops.cli import build_parser
from ops.clidoc import _subcommands

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.process
def test_cli_page_is_current():
    page = subprocess.run([sys.executable, "-m", "ops.clidoc"], capture_output=True, text=True, cwd=ROOT, check=True)
    assert (ROOT / "docs" / "cli.md").read_text() == page.stdout, \
        "docs/cli.md is stale: python -m ops.clidoc > docs/cli.md"


@pytest.mark.unit
def test_every_command_has_a_section_with_usage_and_example():
    text = (ROOT / "docs" / "cli.md").read_text()
    for name, sub in _subcommands(build_parser()).items():
        assert f"\n## {name}\n" in text, name
        assert "Usage:" in (sub.description or ""), f"{name}: docstring without Usage"


@pytest.mark.unit
def test_every_contracted_command_is_built():
    """The commands docs/architecture.md promises outside tools (CLI contracts) all exist."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    block = page.split("## CLI contracts", 1)[1].split("```", 2)[1]
    promised = set()
    for line in block.splitlines():
        if line.startswith("cogloop "):  # "cogloop a ... | b ...   cogloop c ...": a, b and c
            for part in re.split(r"\s\|\s|\s{2,}", line):
                word = part.strip().removeprefix("cogloop ").split(" ")[0]
                if word.isalpha():
                    promised.add(word)
    assert {"up", "down", "status", "task", "report", "export", "doctor"} <= promised  # the block was read
    missing = promised - set(_subcommands(build_parser()))
    assert not missing, f"contracted in docs/architecture.md but not built: {sorted(missing)}"
