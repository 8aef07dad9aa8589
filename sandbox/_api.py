"""The public functions: build a request, hand it to the fork server, wrap the reply."""

from __future__ import annotations

from typing import Any

from sandbox import _testsfile
from sandbox._client import ForkServer, Pool, default_server
from sandbox._limits import Limits
from sandbox._policy import check_command
from sandbox._result import ISOLATION_KEYS, RaceResult, RunResult, TestReport

_REPLY_GRACE_S = 15.0  # beyond the wall clock: the supervisor's own teardown


def _send(req: dict[str, Any], limits: Limits, server: ForkServer | Pool | None) -> dict[str, Any]:
    req["limits"] = limits.to_dict()
    return (server or default_server()).request(req, timeout=limits.wall_s + _REPLY_GRACE_S)


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
    fields = {k: v for k, v in (reply.get("race") or {}).items() if k in RaceResult.__dataclass_fields__}
    return RaceResult(**{"ok": False, **fields, "run": RunResult.from_dict(reply["run"]),
                         "judge": reply.get("judge") or {}})


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
