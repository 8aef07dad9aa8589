"""Ability per skill over time, from the trainer's profile snapshots (the report's chart).

The trainer's profile (actors/trainer/policy.py) holds `{"skills": {skill: {"mu": ability,
"attempts": n, ...}}}`; `mu` is on the difficulty scale (ability 4 passes a difficulty-4 task
half the time). A long history holds thousands of snapshots: at most MAX_SNAPSHOTS, evenly
spread over it, are read, so the report's cost stays flat.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ops.readdb import has_table

MAX_SNAPSHOTS = 200


def abilities(text: str | None) -> dict[str, float]:
    """{skill: ability} of one snapshot (`"mu"`, `"ability"` or a bare number); untried skills left out."""
    try:
        profile = json.loads(text) if text else None
    except ValueError:
        return {}
    skills = profile.get("skills") if isinstance(profile, dict) else None
    out = {}
    for skill, value in skills.items() if isinstance(skills, dict) else []:
        if isinstance(value, dict):
            if value.get("attempts") == 0:  # untried: still the prior, not a measurement
                continue
            value = value.get("mu", value.get("ability"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[str(skill)] = round(float(value), 3)
    return out


def ability_series(conn: sqlite3.Connection, limit: int = MAX_SNAPSHOTS) -> dict[str, list[list[Any]]]:
    """Per skill, [timestamp, ability] from the snapshots (at most `limit`, the latest always)."""
    if not has_table(conn, "profile"):
        return {}
    ids = [r[0] for r in conn.execute("SELECT rowid FROM profile ORDER BY created_at, rowid")]
    if not ids:
        return {}
    step = max(1, -(-len(ids) // limit))
    chosen = sorted(set(ids[::step]) | {ids[-1]})
    marks = ", ".join("?" for _ in chosen)
    rows = conn.execute(f"SELECT created_at, profile FROM profile WHERE rowid IN ({marks}) "
                        "ORDER BY created_at, rowid", chosen).fetchall()
    series: dict[str, list[list[Any]]] = {}
    for created_at, text in rows:
        for skill, mu in abilities(text).items():
            series.setdefault(skill, []).append([created_at, mu])
    return dict(sorted(series.items()))
