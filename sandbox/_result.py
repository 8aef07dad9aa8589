"""What a run reports: RunResult, TestReport and RaceResult, with the keys of
docs/architecture.md (CLI contracts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("ok", "error", "timeout", "cpu_limit", "memory_limit", "output_limit", "killed")
# Which harness produced a verdict. 1: candidate and tests in one interpreter (verdicts could
# be forged from inside); 2: a judge process apart from the candidate's (docs/sandbox.md).
JUDGE_VERSION = 2

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
    judge: dict[str, Any] = field(default_factory=lambda: {"version": JUDGE_VERSION, "signs": []})

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
            "judge": dict(self.judge),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestReport":
        judge = data.get("judge") or {"version": JUDGE_VERSION, "signs": []}
        return cls([TestResult(**t) for t in data["tests"]], RunResult.from_dict(data["run"]), judge)


@dataclass
class RaceResult:
    """The efficiency race of one program (sandbox.race): its cost per call, read from outside
    its process. `time_s` = max(first call, median call) + work done outside the calls;
    `peak_bytes` = peak resident memory above what the process had before the code loaded."""

    __test__ = False

    ok: bool
    time_s: float = 0.0
    first_s: float = 0.0
    median_s: float = 0.0
    reps: int = 0
    timed_s: float = 0.0  # the candidate's CPU inside the timed calls, all repetitions
    judge_s: float = 0.0  # the judge's CPU making those calls (sending, probing, waiting)
    wall_s: float = 0.0  # the race's wall-clock time, start-up included (in a suite: its part's)
    peak_bytes: int = 0
    outside_s: float = 0.0
    matches: bool | None = None  # equal to the reference's results (None: no reference given)
    clock: str = ""  # "cpu+blocked", or "cpu" where the kernel keeps no run-queue delays
    error: str = ""
    run: RunResult | None = None
    judge: dict[str, Any] = field(default_factory=lambda: {"version": JUDGE_VERSION, "signs": []})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["run"] = self.run.to_dict() if self.run else None
        return data


@dataclass
class SuiteResult:
    """A suite run (sandbox.suite): one TestReport per tests group, by name (each with the run's
    figures and the group's own status), the candidate's race and, when it was raced in this
    run rather than given, the reference's. `run` is the whole run."""

    __test__ = False

    run: RunResult
    tests: dict[str, TestReport]
    race: RaceResult | None = None
    reference: RaceResult | None = None
    judge: dict[str, Any] = field(default_factory=lambda: {"version": JUDGE_VERSION, "signs": []})
