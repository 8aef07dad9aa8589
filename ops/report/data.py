"""The numbers behind `cogloop report`: read-only queries over the history, plain dicts out.

No rendering and no I/O beyond the given connection, so the terminal and HTML views (and
`--json`) show the same figures, and tests check them against a database they filled.

The exam's learning curve comes from ops/report/learning.py (the exam tables, apart from training).

Tables (store/schema.py): `scores` (one per scored attempt: skill, difficulty, total, passed,
created_at), `attempts` (task_id, attempt_no, llm_settings, started_at), `tasks` (source,
status, meta), `events` (kind, actor, body, ts) and `profile` (the trainer's snapshots).

Each score's `details` says which judge produced it (`judge`: sandbox.JUDGE_VERSION; absent
in scores from the old one-process harness, version 1) and whether its runs showed signs of
tampering (`suspicious`). `current_judge_only` hides the old harness's scores from every
figure; `judge_summary` counts them.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime
from typing import Any

from ops.readdb import has_table
from ops.report import learning
from ops.report.ability import abilities, ability_series
from sandbox import JUDGE_VERSION

# The sampling settings a benchmark figure depends on; attempts record more (url, lesson ids,
# prompt sizes) that differ per attempt and say nothing about comparability.
SAMPLING_KEYS = ("model", "temperature", "max_tokens", "seed", "top_p", "context_size")
ROLLING = 10  # scores per point of a trend line: smooths single attempts without hiding change
BINS = 10  # score distribution: [0, .1), [.1, .2), ... [.9, 1.0]
JUDGES = ("all", "current")  # `cogloop report --judge`
_DETAIL = "(CASE WHEN json_valid(details) THEN json_extract(details, '$.{}') END)"
_JUDGE_OF = f"coalesce({_DETAIL.format('judge')}, 1)"


def current_judge_only(conn: sqlite3.Connection) -> None:
    """From now on this connection's `scores` are only those of the current judge: a TEMP view
    named `scores` shadows the table (SQLite looks names up in `temp` before `main`), so every
    query here and in the renderers sees the same filtered history. Read-only connections may
    create TEMP objects: they live in the connection's own temp database, never in the file."""
    conn.execute(f"CREATE TEMP VIEW IF NOT EXISTS scores AS SELECT * FROM main.scores "
                 f"WHERE {_JUDGE_OF} >= {int(JUDGE_VERSION)}")


def judge_summary(conn: sqlite3.Connection, shown: str = "all") -> dict[str, Any]:
    """Scores by judge version, and how many were flagged suspicious (over the whole history)."""
    by_version: dict[str, int] = {}
    suspicious = 0
    for r in conn.execute(f"SELECT {_JUDGE_OF} AS judge, count(*) AS n, "
                          f"sum(coalesce({_DETAIL.format('suspicious')}, 0)) AS flagged "
                          f"FROM main.scores GROUP BY judge ORDER BY judge"):
        by_version[str(r["judge"])] = r["n"]
        suspicious += r["flagged"] or 0
    return {"current": JUDGE_VERSION, "shown": shown, "by_version": by_version, "suspicious": suspicious}


def epoch(ts: str) -> float:
    """A store timestamp (UTC ISO-8601 with Z) as seconds since the epoch."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def latest_abilities(conn: sqlite3.Connection) -> dict[str, float]:
    """Per-skill ability from the trainer's latest profile snapshot (ops/report/ability.py reads
    it: skills the trainer has not tried yet, still at the prior, are left out)."""
    if not has_table(conn, "profile"):
        return {}
    row = conn.execute("SELECT profile FROM profile ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
    return abilities(row[0] if row else None)


def skill_table(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Per skill: attempts scored, passes, pass rate, mean score and difficulty, ability, trend.

    `trend` is the pass rate of the last ROLLING scores minus that of the ROLLING before them
    (None until there are two windows): positive means the builder is improving.
    """
    abilities = latest_abilities(conn)
    rows = conn.execute("""
        SELECT skill, count(*) AS attempts, coalesce(sum(passed), 0) AS passed, avg(total) AS avg_score,
               avg(difficulty) AS avg_difficulty, max(CASE WHEN passed THEN difficulty END) AS max_passed
        FROM scores GROUP BY skill ORDER BY skill""").fetchall()
    table = []
    for r in rows:
        recent = [p for (p,) in conn.execute(
            "SELECT passed FROM scores WHERE skill = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (r["skill"], 2 * ROLLING))]
        trend = None
        if len(recent) == 2 * ROLLING:
            trend = round((sum(recent[:ROLLING]) - sum(recent[ROLLING:])) / ROLLING, 3)
        table.append({
            "skill": r["skill"], "attempts": r["attempts"], "passed": r["passed"],
            "pass_rate": round(r["passed"] / r["attempts"], 3),
            "avg_score": round(r["avg_score"] or 0.0, 3), "avg_difficulty": round(r["avg_difficulty"] or 0.0, 2),
            "max_difficulty_passed": r["max_passed"], "ability": abilities.get(r["skill"]), "trend": trend,
        })
    for skill in sorted(set(abilities) - {row["skill"] for row in table}):
        table.append({"skill": skill, "attempts": 0, "passed": 0, "pass_rate": None, "avg_score": None,
                      "avg_difficulty": None, "max_difficulty_passed": None, "ability": abilities[skill],
                      "trend": None})
    return table


def _rolling(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(round(total / min(i + 1, window), 4))
    return out


def pass_rate_series(conn: sqlite3.Connection, window: int = ROLLING) -> dict[str, list[list[Any]]]:
    """Per skill, [timestamp, rolling pass rate over the last `window` scores] in time order."""
    by_skill: dict[str, list[tuple[str, int]]] = {}
    for r in conn.execute("SELECT skill, passed, created_at FROM scores ORDER BY created_at, rowid"):
        by_skill.setdefault(r["skill"], []).append((r["created_at"], int(r["passed"] or 0)))
    series = {}
    for skill, points in by_skill.items():
        rates = _rolling([float(p) for _, p in points], window)
        series[skill] = [[ts, rate] for (ts, _), rate in zip(points, rates)]
    return series


def difficulty_series(conn: sqlite3.Connection, window: int = ROLLING) -> list[list[Any]]:
    """[timestamp, rolling mean difficulty] of every scored attempt: the curriculum's curve."""
    points = [(r["created_at"], float(r["difficulty"] or 0))
              for r in conn.execute("SELECT difficulty, created_at FROM scores ORDER BY created_at, rowid")]
    rates = _rolling([d for _, d in points], window)
    return [[ts, d] for (ts, _), d in zip(points, rates)]


def score_histogram(conn: sqlite3.Connection, bins: int = BINS) -> list[int]:
    """How many scores fall in each of `bins` equal ranges of the total (1.0 in the last)."""
    counts = [0] * bins
    for (total,) in conn.execute("SELECT total FROM scores WHERE total IS NOT NULL"):
        counts[min(bins - 1, max(0, int(float(total) * bins)))] += 1
    return counts


# What the report counts (the kinds: docs/store.md, Events). Everything else is on record but
# counted as neither: state changes, lease.reclaimed/expired (the crash behind them is counted).
RESTART_KINDS = ("child.restart",)
ERROR_KINDS = ("child.crash", "child.hung", "child.fatal", "supervisor.crash", "supervisor.reload_failed")


def event_class(kind: str, body: Any) -> str | None:
    """"restart", "error" or None. Errors: crashes, hangs, fatal children, an unclean supervisor
    exit, a refused reload, any `*.error` (an attempt that ended in error, a task ended as error,
    an actor's own `event.log`), and the LLM endpoint going down."""
    if kind in RESTART_KINDS:
        return "restart"
    if kind in ERROR_KINDS or kind.endswith(".error"):
        return "error"
    if kind == "llm.state" and isinstance(body, dict) and str(body.get("state", "")).startswith("down"):
        return "error"
    return None


def event_summary(conn: sqlite3.Connection, recent: int = 10) -> dict[str, Any]:
    """Restarts and errors from the events table: totals, by kind, by actor, the latest ones."""
    if not has_table(conn, "events"):
        return {"restarts": 0, "errors": 0, "by_kind": {}, "by_actor": {}, "recent": []}
    by_kind: Counter[str] = Counter()
    by_actor: dict[str, dict[str, int]] = {}
    for r in conn.execute("""
            SELECT kind, actor, count(*) AS n,
                   sum(kind = 'llm.state' AND json_valid(body) AND json_extract(body, '$.state') LIKE 'down%') AS down
            FROM events GROUP BY kind, actor"""):
        by_kind[r["kind"]] += r["n"]
        cls = event_class(r["kind"], {"state": "down"} if r["down"] else {})
        if cls:
            counts = by_actor.setdefault(r["actor"] or "?", {"restarts": 0, "errors": 0})
            counts[cls + "s"] += r["down"] if r["kind"] == "llm.state" else r["n"]
    latest = []
    for r in conn.execute("SELECT ts, kind, actor, body FROM events ORDER BY ts DESC, rowid DESC"):
        if len(latest) >= recent:
            break
        body = _loads(r["body"])
        if event_class(r["kind"], body):
            latest.append({"ts": r["ts"], "kind": r["kind"], "actor": r["actor"], "detail": _event_detail(body)})
    return {
        "restarts": sum(c["restarts"] for c in by_actor.values()),
        "errors": sum(c["errors"] for c in by_actor.values()),
        "by_kind": dict(sorted(by_kind.items())), "by_actor": dict(sorted(by_actor.items())),
        "recent": latest,
    }


def _event_detail(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "reason", "detail"):
            if body.get(key):
                return str(body[key])[:200]
        return ", ".join(f"{k}={v}" for k, v in list(body.items())[:4])[:200]
    return "" if body is None else str(body)[:200]


def queue_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Tasks by source and status."""
    out: dict[str, dict[str, int]] = {}
    for r in conn.execute("SELECT source, status, count(*) AS n FROM tasks GROUP BY source, status"):
        out.setdefault(r["source"], {})[r["status"]] = r["n"]
    return out


def first_candidates(conn: sqlite3.Connection, source: str) -> list[dict[str, Any]]:
    """Each task of `source` with the score of its first submitted (scored) candidate, if any.

    pass@1 counts this first candidate only: repair rounds happen before submission, on the
    visible tests, and later attempts of a failed task do not count
    (docs/architecture.md, CLI contracts).
    """
    rows = conn.execute("""
        SELECT t.id, t.meta, t.status,
               (SELECT s.passed FROM scores s JOIN attempts a ON a.id = s.attempt_id
                 WHERE a.task_id = t.id ORDER BY a.attempt_no, a.started_at, s.created_at LIMIT 1) AS first_passed,
               (SELECT a.llm_settings FROM scores s JOIN attempts a ON a.id = s.attempt_id
                 WHERE a.task_id = t.id ORDER BY a.attempt_no, a.started_at, s.created_at LIMIT 1) AS settings
        FROM tasks t WHERE t.source = ? AND t.status != 'cancelled'
        ORDER BY t.created_at, t.rowid""", (source,)).fetchall()
    return [{"id": r["id"], "meta": _loads(r["meta"]) or {}, "status": r["status"],
             "passed": None if r["first_passed"] is None else bool(r["first_passed"]),
             "llm_settings": _loads(r["settings"]) or {}} for r in rows]


def benchmark(conn: sqlite3.Connection, name: str, fallback_model: str = "",
              fallback_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The benchmark summary of docs/architecture.md's CLI contracts:
    `{"benchmark", "model", "settings", "tasks", "attempted", "passed", "pass_at_1"}`.

    `pass_at_1` is passed / tasks, so problems not yet attempted count as failures (as in
    published HumanEval figures, where every problem is attempted); `None` with no tasks. The
    model and settings (SAMPLING_KEYS) are those most first candidates were made with (from the
    attempts' `llm_settings`), else the configuration's.
    """
    tasks = first_candidates(conn, name)
    attempted = [t for t in tasks if t["passed"] is not None]
    passed = sum(1 for t in attempted if t["passed"])
    settings_seen = Counter(json.dumps({k: v for k, v in t["llm_settings"].items() if k in SAMPLING_KEYS}, sort_keys=True)
                            for t in attempted if isinstance(t["llm_settings"], dict) and t["llm_settings"])
    if settings_seen:
        settings = json.loads(settings_seen.most_common(1)[0][0])
    else:
        settings = dict(fallback_settings or {}, model=fallback_model)
    model = str(settings.pop("model", "") or fallback_model)
    return {
        "benchmark": name, "model": model, "settings": settings, "tasks": len(tasks),
        "attempted": len(attempted), "passed": passed,
        "pass_at_1": round(passed / len(tasks), 4) if tasks else None,
    }


def collect(conn: sqlite3.Connection, judge: str = "all") -> dict[str, Any]:
    """Everything the full report shows (`judge` "current": old-harness scores left out)."""
    if judge == "current":
        current_judge_only(conn)
    total = conn.execute("SELECT count(*), coalesce(sum(passed), 0), min(created_at), max(created_at) FROM scores").fetchone()
    return {
        "scores": total[0], "passed": total[1],
        "pass_rate": round(total[1] / total[0], 3) if total[0] else None,
        "first_score_at": total[2], "last_score_at": total[3],
        "skills": skill_table(conn),
        "pass_rate_series": pass_rate_series(conn),
        "ability_series": ability_series(conn),
        "difficulty_series": difficulty_series(conn),
        "score_histogram": score_histogram(conn),
        "events": event_summary(conn),
        "queue": queue_counts(conn),
        "judge": judge_summary(conn, judge),
        "learning": learning.collect(conn),
    }
