"""cogloop sandbox: run untrusted generated code under CPU, memory, file, process and network
limits, in a jail that cannot see the daemon's home, with the whole process tree killed at the
end of every run. See docs/sandbox.md.
"""

from sandbox._api import isolation_level, run_cmd, run_code, run_tests
from sandbox._client import ForkServer, Pool, SandboxError
from sandbox._humaneval import humaneval_tests
from sandbox._limits import Limits
from sandbox._policy import CommandRefused
from sandbox._result import STATUSES, RunResult, TestReport, TestResult
from sandbox._testsfile import TestsFileError

__all__ = [
    "CommandRefused", "ForkServer", "Limits", "Pool", "RunResult", "STATUSES", "SandboxError", "TestReport",
    "TestResult", "TestsFileError", "humaneval_tests", "isolation_level", "run_cmd", "run_code",
    "run_tests",
]
