"""cogloop sandbox: run untrusted generated code under CPU, memory, file, process and network
limits, in a jail that cannot see the daemon's home, with the whole process tree killed at the
end of every run. See docs/sandbox.md.
"""

from sandbox._api import isolation_level, race, run_cmd, run_code, run_tests, suite
from sandbox._client import ForkServer, Pool, SandboxError
from sandbox._humaneval import humaneval_context, humaneval_tests
from sandbox._limits import Limits
from sandbox._policy import CommandRefused
from sandbox._result import JUDGE_VERSION, STATUSES, RaceResult, RunResult, SuiteResult, TestReport, TestResult
from sandbox._testsfile import TestsFileError, test_names

__all__ = [
    "CommandRefused", "ForkServer", "JUDGE_VERSION", "Limits", "Pool", "RaceResult", "RunResult", "STATUSES",
    "SandboxError", "SuiteResult", "TestReport", "TestResult", "TestsFileError", "humaneval_context",
    "humaneval_tests", "isolation_level", "race", "run_cmd", "run_code", "run_tests", "suite", "test_names",
]
