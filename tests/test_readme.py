"""The README's set-up: two commands a new user copies, and CI runs the second one verbatim."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README[README.index("## Quick start"):README.index("\n## ", README.index("## Quick start") + 1)]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_quick_start_is_the_two_set_up_commands():
    install, tests = _quick_start_commands()
    assert install.startswith("python3 -m venv .venv && .venv/bin/pip install ") and install.endswith("cogloop up")
    assert tests.startswith("python3 -m venv .venv && .venv/bin/pip install ") and tests.endswith("-m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = _quick_start_commands()
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [tests]


def test_install_commands_let_pip_show_the_llama_cpp_build():
    """`pip -q` prints nothing for the minutes llama.cpp compiles: a user cannot tell it from a
    hang. Unquieted, pip shows `Building wheel for llama-cpp-python ...` with a spinner (or
    `still running...` once a minute in a pipe)."""
    for command in _quick_start_commands():
        pip = command.split("&&")[1]
        words = shlex.split(pip)
        assert not {"-q", "-qq", "-qqq", "--quiet"} & set(words), pip


def test_readme_states_the_build_time_and_what_pip_shows():
    quick = README[README.index("## Quick start"):README.index("## Using LM Studio")]
    assert "Building wheel for llama-cpp-python" in quick  # what the user will see, quoted
    assert "still running" in quick
    assert re.search(r"20 to 30 minutes on a slower or busy machine", quick)
    assert "not a hang" in quick
