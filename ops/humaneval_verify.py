"""Check each HumanEval docstring example against the problem's own canonical solution.

A few docstrings are wrong (HumanEval/47 says `median([-10, 4, 6, 1000, 10, 20])` is 15.0; its
tests and solution say 8.0), or read as an example what is really a definition (HumanEval/130
`tri(1) = 3`). A visible test the reference fails would send the builder repairing a correct
answer, so such examples are dropped. The canonical solutions are the package's own trusted code
(not generated code): they run in one child interpreter in isolated mode (`python -I`), with an
empty environment and a time limit per example -- not in the sandbox, which is for untrusted code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Iterable

from ops.ground.errors import CogloopError

_CHILD = r"""
import json, signal, sys
def _timeout(*_):
    raise TimeoutError("example took too long")
signal.signal(signal.SIGALRM, _timeout)
failing = {}
for item in json.load(sys.stdin):
    bad = []
    try:
        ns = {"__name__": "__humaneval__"}
        exec(item["reference"], ns)
        ns["candidate"] = ns[item["entry_point"]]
    except BaseException:
        failing[item["id"]] = item["tests"]
        continue
    for line in item["tests"]:
        signal.alarm(5)
        try:
            exec(line, ns)
        except BaseException:
            bad.append(line)
        finally:
            signal.alarm(0)
    if bad:
        failing[item["id"]] = bad
json.dump(failing, sys.stdout)
"""


def failing_examples(tasks: Iterable[dict[str, Any]], timeout_s: float = 120.0) -> dict[str, list[str]]:
    """Task id -> the visible-test lines its reference solution fails."""
    payload = [{"id": t["id"], "reference": t["reference"], "entry_point": t["entry_point"],
                "tests": t["visible_tests"].splitlines()} for t in tasks if t["visible_tests"]]
    if not payload:
        return {}
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", _CHILD], input=json.dumps(payload),
                              capture_output=True, text=True, timeout=timeout_s, env={})
    except subprocess.TimeoutExpired:
        raise CogloopError(f"checking the HumanEval examples took over {timeout_s:.0f}s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CogloopError(f"checking the HumanEval examples failed: {last}")
    return json.loads(proc.stdout)
