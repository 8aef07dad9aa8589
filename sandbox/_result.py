"""What a run reports: RunResult and TestReport, with exactly the keys of
docs/architecture.md (CLI contracts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit", "killed")

ISOLATION_KEYS = ("network", "filesystem", "pid", "uid")


@dataclass
class RunResult:
    """One process tree's outcome. `status` is one of STATUSES (docs/sandbox.md says which when)."""

    status: str
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    isolation: dict[str, bool] = field(default_factory=lambda: {k: False for k in ISOLATION_KEYS})

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        return cls(**data)


@dataclass
class TestResult:
    """One test of a tests file: its name, whether it passed, and why not."""

    __test__ = False  # not a pytest class

    name: str
    passed: bool
    error: str = ""


@dataclass
class TestReport:
    """Every test's verdict (from the harness's private channel, never stdout) and the run."""

    __test__ = False

    tests: list[TestResult]
    run: RunResult

    @property
    def passed(self) -> int:
        return sum(1 for t in self.tests if t.passed)

    @property
    def failed(self) -> int:
        return len(self.tests) - self.passed

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "total": self.total,
            "all_passed": self.all_passed,
            "tests": [asdict(t) for t in self.tests],
            "run": self.run.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestReport":
        return cls([TestResult(**t) for t in data["tests"]], RunResult.from_dict(data["run"]))
