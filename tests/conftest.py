"""Shared fixtures. Every subprocess a test starts imports this tree, not an installed copy."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox._client import ForkServer

ROOT = Path(__file__).resolve().parent.parent
os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
# Tests never talk to a model server the developer happens to have configured.
for _name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
    os.environ.pop(_name, None)
for _name in [n for n in os.environ if n.startswith("COGLOOP_")]:
    os.environ.pop(_name, None)
# The tests' echo and crash actors are a plugin (tests/testkinds.py): every supervisor and actor a
# test starts loads it through daemon.plugins, and this process registers their ops too.
os.environ["COGLOOP_DAEMON_PLUGINS"] = "tests.testkinds"
import tests.testkinds  # noqa: E402,F401


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Run the whole session in a pid namespace of its own (tests/pidns.py), so no daemon a test
    starts can outlive the run, even when the run is killed -9. Re-executes pytest as it was
    invoked; returns here only inside the namespace, or where none can be made (said once)."""
    from tests import pidns

    if not pidns.inside():
        reason = pidns.run(list(sys.orig_argv))
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"tests/pidns.py: {reason}"), stacklevel=2)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh cogloop home folder."""
    h = tmp_path / "home"
    h.mkdir()
    return h


def cogloop_cmd(*args: str) -> list[str]:
    """argv that runs this tree's CLI in a subprocess."""
    return [sys.executable, "-m", "ops.cli", *args]


KINDS = ("unit", "process", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test is exactly one of unit / process / e2e, so `pytest -m unit` means something
    and a new test cannot slip in unmarked."""
    wrong = [f"{item.nodeid} ({', '.join(k for k in KINDS if item.get_closest_marker(k)) or 'none'})"
             for item in items if sum(1 for m in item.iter_markers() if m.name in KINDS) != 1]
    if wrong:
        why = ("each test needs exactly one of the markers " + ", ".join(KINDS)
               + " (pytestmark = pytest.mark.unit, or @pytest.mark.process): " + "; ".join(wrong))
        if not hasattr(config, "workerinput"):  # not a pytest-xdist worker (the variable
            raise pytest.UsageError(why)          # PYTEST_XDIST_WORKER reaches a nested pytest too)
        # in a pytest-xdist worker a UsageError (or pytest.exit) is an internal error of the whole
        # run: there the wrong tests fail, each with the reason, and so does the run
        for item in items:
            if sum(1 for m in item.iter_markers() if m.name in KINDS) != 1:
                item.add_marker(pytest.mark.wrong_kind(why))


def pytest_runtest_setup(item: pytest.Item) -> None:
    wrong = item.get_closest_marker("wrong_kind")
    if wrong is not None:
        pytest.fail(wrong.args[0], pytrace=False)


# `platform.processor()` runs `uname -p` once and caches it; the openai client asks for it on its
# first request. Ask now, so that is not a unit test's child process.
platform.processor()


@pytest.fixture(autouse=True)
def _unit_tests_start_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test that starts a process or runs the sandbox fails at once: mark it `process`."""
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{request.node.nodeid} is marked unit but starts a process "
                             "(or runs the sandbox): mark it process")
    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse)
    monkeypatch.setattr(ForkServer, "request", refuse)
