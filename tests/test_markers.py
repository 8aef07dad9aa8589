"""The test kinds hold: a test without exactly one of unit / process / e2e stops the run, and a
unit test that starts a process fails (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent


def run_pytest(tmp_path: Path, source: str, workers: int = 0) -> subprocess.CompletedProcess:
    """pytest on one new test file, with this project's configuration and conftest, in one
    process (`-n 0`) or in `workers` pytest-xdist workers."""
    test_file = tmp_path / "test_new.py"
    test_file.write_text(source)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-c", str(ROOT / "pyproject.toml"), "-n", str(workers),
                           "--rootdir", str(ROOT), "-p", "tests.conftest", "-p", "no:cacheprovider", str(test_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_an_unmarked_test_stops_the_run(tmp_path):
    r = run_pytest(tmp_path, "def test_new():\n    assert True\n")
    assert r.returncode == pytest.ExitCode.USAGE_ERROR, r.stdout + r.stderr
    assert "exactly one of the markers unit, process, e2e" in r.stderr and "::test_new (none)" in r.stderr


def test_a_test_with_two_kinds_stops_the_run(tmp_path):
    r = run_pytest(tmp_path, "import pytest\n\n@pytest.mark.unit\n@pytest.mark.process\ndef test_new():\n    pass\n")
    assert r.returncode == pytest.ExitCode.USAGE_ERROR, r.stdout + r.stderr
    assert "::test_new (unit, process)" in r.stderr


def test_a_unit_test_that_starts_a_process_fails_and_says_why(tmp_path):
    r = run_pytest(tmp_path, "import subprocess\nimport pytest\n\npytestmark = pytest.mark.unit\n\n"
                             "def test_new():\n    subprocess.run(['true'])\n")
    assert r.returncode == pytest.ExitCode.TESTS_FAILED, r.stdout + r.stderr
    assert "is marked unit but starts a process" in r.stdout


def test_a_process_test_may_start_one(tmp_path):
    r = run_pytest(tmp_path, "import subprocess\nimport pytest\n\npytestmark = pytest.mark.process\n\n"
                             "def test_new():\n    assert subprocess.run(['true']).returncode == 0\n")
    assert r.returncode == pytest.ExitCode.OK, r.stdout + r.stderr


def test_with_workers_an_unmarked_test_fails_the_run_with_the_reason(tmp_path):
    """The suite runs in pytest-xdist workers (pyproject addopts), where a UsageError would be an
    internal error: there the unmarked test fails with the reason, the marked one still runs."""
    r = run_pytest(tmp_path, "import pytest\n\ndef test_new():\n    assert True\n\n"
                             "@pytest.mark.unit\ndef test_ok():\n    assert True\n", workers=2)
    assert r.returncode == pytest.ExitCode.TESTS_FAILED, r.stdout + r.stderr
    assert "INTERNALERROR" not in r.stdout + r.stderr
    assert "ERROR ::test_new - Failed: each test needs exactly one of the markers" in r.stdout
    assert "1 passed, 1 error" in r.stdout
