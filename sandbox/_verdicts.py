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
from sandbox._status import classify


@dataclass
class Records:
    """The private pipe's lines of this run (a suite's, by part: sandbox._suite)."""

    tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, Any] = field(default_factory=dict)
    race: dict[str, Any] | None = None
    groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # group -> name -> verdict
    groups_done: dict[str, dict[str, Any]] = field(default_factory=dict)
    races: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> outcome


def parse(raw: bytes, nonce: str) -> Records:
    out = Records()
    for line in bytes(raw).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("n") != nonce:
            continue
        group = rec.get("g")
        if rec.get("done"):
            out.done = rec
        elif isinstance(rec.get("race"), dict):
            if isinstance(rec.get("role"), str):
                out.races.setdefault(rec["role"], rec["race"])
            else:
                out.race = rec["race"]
        elif isinstance(group, str):
            if rec.get("group_done"):
                out.groups_done.setdefault(group, rec)
            elif isinstance(rec.get("name"), str):
                out.groups.setdefault(group, {}).setdefault(rec["name"], rec)
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


def tests(steps: list[_testsfile.Step], records: Records, run: RunResult,
          group: str | None = None) -> list[dict[str, Any]]:
    """One entry per expected test (of a suite's `group`); a test without a verdict failed with
    the run's status."""
    verdicts = records.tests if group is None else records.groups.get(group, {})
    out = []
    for step in steps:
        if step.kind == "setup":
            continue
        rec = verdicts.get(step.name)
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


def group_status(records: Records, group: str, run: RunResult) -> str:
    """A suite group's own status: from its own end when it finished (a call that timed out,
    a MemoryError, a candidate process that ended abnormally), else the run's."""
    end = records.groups_done.get(group)
    if end is None:
        return run.status
    rc = end.get("returncode")
    return classify(returncode=rc if isinstance(rc, int) else 0,
                    killed_for="timeout" if end.get("call_timeout") else None,
                    memory_hit=bool(end.get("memory_error")), cpu_s=0.0, cpu_limit_s=1.0)
