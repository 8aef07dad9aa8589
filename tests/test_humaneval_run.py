"""A HumanEval benchmark run end to end: the real daemon (memory, scorer, trainer, builder in
their own processes, the real sandbox) against a scripted LLM on loopback, driven only by the
CLI: `up --detach`, `import humaneval --limit 5`, `wait --source humaneval`,
`report --benchmark humaneval --json`, `down`."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from ops import humaneval
from tests.conftest import cogloop_cmd
from tests.daemon_helpers import FAST
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.process

RIGHT = {0, 2, 4}  # problems the scripted model solves; it gets 1 and 3 wrong


def scripted_model(problems):
    by_entry = {p["entry_point"]: (i, p) for i, p in enumerate(problems.values()) if i < 5}

    def answer(body):
        text = "\n".join(str(m.get("content", "")) for m in body["messages"])
        named = re.findall(r"Write a function named `(\w+)`", text)  # the task itself, not the example
        for entry, (i, p) in by_entry.items():
            if named and named[-1] == entry:
                if i in RIGHT:
                    return f"```python\n{p['prompt']}{p['canonical_solution']}```"
                return f"```python\n{p['prompt']}    return None\n```"
        return "```python\ndef solve(*args):\n    return None\n```"  # trainer tasks: wrong

    return answer


def test_humaneval_five_problems_pass_at_1(home):
    problems = humaneval.load_problems()
    env = {**os.environ, **FAST, "COGLOOP_BUILDER_REFLECT": "false", "COGLOOP_BUILDER_REPAIR_ROUNDS": "1",
           "COGLOOP_LLM_TEMPERATURE": "0.0"}

    def cli(*args, timeout=120):
        return subprocess.run(cogloop_cmd(*args, "--home", str(home)), capture_output=True, text=True,
                              env=env, timeout=timeout)

    with FakeLLM(default=scripted_model(problems), model="scripted-coder") as llm:
        up = cli("up", "--detach", "--llm-url", llm.url, "--builders", "1")
        assert up.returncode == 0, up.stderr + up.stdout
        try:
            imported = cli("import", "humaneval", "--limit", "5", "--json")
            assert imported.returncode == 0, imported.stderr
            assert json.loads(imported.stdout)["ids"] == [f"humaneval-{i}" for i in range(5)]
            waited = cli("wait", "--source", "humaneval", "--timeout", "240", "--json", timeout=300)
            assert waited.returncode == 0, waited.stderr
            assert json.loads(waited.stdout)["by_status"] == {"passed": 3, "failed": 2}
            report = cli("report", "--benchmark", "humaneval", "--json")
            assert report.returncode == 0, report.stderr
        finally:
            down = cli("down")
        assert down.returncode == 0, down.stderr
    bench = json.loads(report.stdout)
    assert set(bench) == {"benchmark", "model", "settings", "tasks", "attempted", "passed", "pass_at_1"}
    assert (bench["benchmark"], bench["model"]) == ("humaneval", "scripted-coder")
    assert (bench["tasks"], bench["attempted"], bench["passed"], bench["pass_at_1"]) == (5, 5, 3, 0.6)
    assert bench["settings"]["temperature"] == 0.0
    # The builder only ever saw public parts: no hidden test source reached the model.
    prompts = "\n".join(json.dumps(r["messages"]) for r in llm.chat_requests)
    assert "def check(candidate)" not in prompts and "METADATA" not in prompts
