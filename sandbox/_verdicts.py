"""What the supervisor reads from a run's private pipe and init's report: pure functions.

Only the judge (or run_code's harness) holds the private pipe; each line carries the run's
nonce, and lines without it are ignored. A test with no verdict failed with the run's status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sandbox import _testsfile
from sandbox._result import RunResult, TestResult


@dataclass
class Records:
    """The private pipe's lines of this run."""

    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, Any] = field(default_factory=dict)
    race: dict[str, Any] | None = None


def parse(raw: bytes, nonce: str) -> Records:
    out = Records()
    for line in bytes(raw).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("n") != nonce:
            continue
        if rec.get("done"):
            out.done = rec
        elif isinstance(rec.get("race"), dict):
            out.race = rec["race"]
        elif isinstance(rec.get("name"), str) and rec["name"] not in out.tests:
            out.tests[rec["name"]] = rec
    return out


def returncode(report: dict[str, Any]) -> int | None:
    """The run's exit: a candidate process that ended on its own abnormally, else the first
    process's (the judge's, or the one-process run's)."""
    for end in report.get("served") or []:
        if isinstance(end, dict) and not end.get("by_init") and end.get("returncode") not in (0, None):
            return end["returncode"]
    return report.get("returncode")


def tests(steps: list[_testsfile.Step], records: Records, run: RunResult) -> list[dict[str, Any]]:
    """One entry per expected test; a test without a verdict failed with the run's status."""
    out = []
    for step in steps:
        if step.kind == "setup":
            continue
        rec = records.tests.get(step.name)
        if rec is None:
            out.append(TestResult(step.name, False, f"no result: the run ended ({run.status}) before this test reported").__dict__)
        else:
            out.append(TestResult(step.name, bool(rec.get("passed")), str(rec.get("error", ""))[:2000]).__dict__)
    return out


def judge_info(records: Records, version: int) -> dict[str, Any]:
    """The judge's version and the signs of tampering it saw (refused results, blocked events)."""
    signs = records.done.get("signs")
    signs = [str(s)[:300] for s in signs][:50] if isinstance(signs, list) else []
    return {"version": version, "signs": signs}
