"""The documentation stands alone: no tracked file points at the design file that is not in the
repository, and every "docs/architecture.md, <Section>" reference names a section that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GONE = "DESIGN" + ".md"  # spelt in two parts so this file does not mention it itself
ARCH = ROOT / "docs" / "architecture.md"
# "architecture.md, Data", "architecture.md (CLI contracts)", "architecture.md's CLI contracts",
# 'architecture.md, "Who reads and writes the database"'
SECTION_REF = re.compile(r"architecture\.md(?:'s|,| \()\s*\"?([A-Z][A-Za-z' -]+)")


def tracked_texts() -> dict[str, str]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    out = {}
    for name in filter(None, names.decode().split("\0")):
        try:
            out[name] = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):  # binary or removed in the working tree
            continue
    return out


@pytest.mark.process
def test_no_tracked_file_mentions_the_design_file():
    hits = [f"{name}:{n}" for name, text in tracked_texts().items()
            for n, line in enumerate(text.splitlines(), 1) if GONE.lower() in line.lower()]
    assert not hits, f"point these at docs/architecture.md instead: {hits}"


@pytest.mark.process
def test_architecture_section_references_name_real_sections():
    headings = [h.strip() for h in re.findall(r"^## (.+)$", ARCH.read_text(), re.M)]
    bad = []
    for name, text in tracked_texts().items():
        if name == "docs/architecture.md":
            continue
        for match in SECTION_REF.finditer(" ".join(text.split())):
            ref = match.group(1)
            if not any(ref.startswith(h) for h in headings):
                bad.append(f"{name}: {ref!r}")
    assert not bad, f"no such section in docs/architecture.md ({headings}): {bad}"


@pytest.mark.unit
def test_architecture_page_covers_what_a_newcomer_needs():
    headings = set(re.findall(r"^## (.+)$", ARCH.read_text(), re.M))
    for needed in ("Layers", "Processes and wiring", "Wire protocol", "The loop",
                   "Who reads and writes the database", "Hidden tests stay hidden", "Data",
                   "CLI contracts", "The seed plan's components"):
        assert needed in headings, needed
