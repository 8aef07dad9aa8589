"""Plain-text tables for command output (no colours: pipes and logs read it too)."""

from __future__ import annotations

from typing import Any


def table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> list[str]:
    """Plain fixed-width columns (ids shortened to 12 characters)."""
    cells = [[("" if r.get(c) is None else str(r[c]))[: 12 if c == "id" else 60] for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return lines
