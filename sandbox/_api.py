"""The public functions: build a request, hand it to the fork server, wrap the reply."""

from __future__ import annotations

from typing import Any, Sequence

from sandbox import _parts, _testsfile
from sandbox._client import ForkServer, Pool, default_server
from sandbox._limits import Limits
from sandbox._policy import check_command
from sandbox._result import ISOLATION_KEYS, RaceResult, RunResult, SuiteResult, TestReport

_REPLY_GRACE_S = 15.0  # beyond the wall clock: the supervisor's own teardown


def _send(req: dict[str, Any], limits: Limits, server: ForkServer | Pool | None,
          wall_s: float | None = None) -> dict[str, Any]:
    req["limits"] = limits.to_dict()
    return (server or default_server()).request(req, timeout=(wall_s or limits.wall_s) + _REPLY_GRACE_S)


def run_code(code: str, *, stdin: str = "", limits: Limits = Limits(), server: ForkServer | Pool | None = None) -> RunResult:
    """Run Python source as a program (`__name__ == "__main__"`) in the sandbox."""
    reply = _send({"kind": "code", "code": code, "stdin": stdin}, limits, server)
    return RunResult.from_dict(reply["run"])


def run_tests(code: str, tests: str, *, entry_point: str, context: str = "", limits: Limits = Limits(),
              server: ForkServer | Pool | None = None) -> TestReport:
    """Run a candidate against a tests file: the tests run in a judge process of their own,
    reaching the candidate's process only with plain data (docs/sandbox.md, "Tests files").

    `context`: trusted source the judge runs before the tests (helpers they use, such as the
    HumanEval prompt's; sandbox.humaneval_context). Raises TestsFileError (a ValueError) when
    the tests file does not parse or holds no test.
    """
    _testsfile.plan(tests, compiled=False)  # the caller's mistake is reported here, not as a failed run
    reply = _send({"kind": "tests", "code": code, "tests": tests, "entry_point": entry_point,
                   "context": context}, limits, server)
    return TestReport.from_dict({"tests": reply["tests"], "run": reply["run"], "judge": reply.get("judge")})


def race(code: str, *, entry_point: str, setup: str, call: str = "candidate(*args)", context: str = "",
         reference: str | None = None, min_time_s: float = 0.2, max_reps: int = 50,
         call_timeout_s: float | None = None, limits: Limits = Limits(),
         server: ForkServer | Pool | None = None) -> RaceResult:
    """The efficiency race: time `call` (after `setup`, both trusted, run by the judge) against
    the candidate in its own process, from outside it (sandbox._race says how).

    `reference`: trusted source whose results on the same call the candidate's must equal
    (computed in the judge); `call_timeout_s`: per call (default: limits.cpu_s).
    """
    req = {"kind": "race", "code": code, "entry_point": entry_point, "setup": setup, "call": call,
           "context": context, "reference": reference, "min_time_s": min_time_s, "max_reps": max_reps,
           "call_timeout_s": call_timeout_s}
    reply = _send(req, limits, server)
    return _race_result(reply.get("race") or {}, RunResult.from_dict(reply["run"]), reply.get("judge") or {})


def _race_result(outcome: dict[str, Any], run: RunResult, judge: dict[str, Any]) -> RaceResult:
    fields = {k: v for k, v in outcome.items() if k in RaceResult.__dataclass_fields__}
    return RaceResult(**{"ok": False, "wall_s": run.wall_s, **fields, "run": run, "judge": judge})


def suite(code: str, *, entry_point: str, tests: Sequence[tuple[str, str]] = (), context: str = "",
          race: dict[str, Any] | None = None, limits: Limits = Limits(),
          server: ForkServer | Pool | None = None) -> SuiteResult:
    """Judge a candidate in one run: its tests groups, each on its own (fresh namespace and
    process, own wall clock and status), and its efficiency race (docs/sandbox.md, "Suites").

    `tests`: (group name, tests source) pairs, run in this order. `race`: {"setup", "call",
    "reference" (trusted source: its results are the expected ones), "figures" (the reference's
    {"time_s", "wall_s"} from an earlier race; without them it is raced first, in this run),
    "gate" (a group that must pass a test for the candidate to be raced), "slowest_ratio",
    "min_time_s", "max_reps"}. Raises TestsFileError for a tests file that cannot run and
    ValueError for a malformed request, before anything runs.
    """
    groups = [[str(name), src] for name, src in tests]
    for _, src in groups:
        _testsfile.plan(src, compiled=False)
    req: dict[str, Any] = {"kind": "suite", "code": code, "entry_point": entry_point, "context": context,
                           "groups": groups, "race": None}
    if race is not None:
        req["race"] = {"call": "candidate(*args)", "min_time_s": 0.2, "max_reps": 50, "gate": None,
                       "figures": None, **race}
    _parts.check(req)
    reply = _send(req, limits, server, wall_s=_parts.total_wall_s(req, limits.wall_s))
    run = RunResult.from_dict(reply["run"])
    judge = reply.get("judge") or {}
    reports = {name: TestReport.from_dict({"tests": g["tests"], "judge": judge,
                                           "run": {**reply["run"], "status": g["status"]}})
               for name, g in (reply.get("groups") or {}).items()}
    races = {role: _race_result(outcome, run, judge) for role, outcome in (reply.get("races") or {}).items()}
    return SuiteResult(run, reports, races.get("candidate"), races.get("reference"), judge)


def run_cmd(cmd: str, *, timeout: float, cwd: str | None = None, limits: Limits = Limits(),
            server: ForkServer | Pool | None = None) -> RunResult:
    """Run a shell command under the same jail and limits; raises CommandRefused first.

    `cwd`: its contents are copied into the run's fresh work directory (the Builder runs
    tools over its files; whatever the command writes stays in the jail and vanishes).
    """
    argv = check_command(cmd)
    limits = limits.replace(wall_s=timeout)
    reply = _send({"kind": "cmd", "argv": argv, "cwd": cwd}, limits, server)
    return RunResult.from_dict(reply["run"])


def isolation_level(server: ForkServer | Pool | None = None) -> dict[str, bool]:
    """Which isolation a run gets on this host: network, filesystem, pid, uid (all or none today)."""
    s = server or default_server()
    s.ensure()
    full = s.info.get("mode") == "full"
    return {k: full for k in ISOLATION_KEYS}
