"""LLM-proposed tasks: validation by execution in the real sandbox, with a scripted model."""

from __future__ import annotations

import json

import pytest

from actors.trainer.llm_tasks import Proposer, Rejected, parse_proposal, validate
from sandbox import run_tests
from store.taskspec import validate_task


def run(code: str, tests: str, entry_point: str) -> dict:
    return run_tests(code, tests, entry_point=entry_point).to_dict()


GOOD = {
    "title": "Sum of squares", "prompt": "Write sum_squares(n) returning 1*1 + 2*2 + ... + n*n.",
    "entry_point": "sum_squares", "reference": "def sum_squares(n):\n    return sum(i * i for i in range(n + 1))\n",
    "tests": ["assert candidate(1) == 1", "assert candidate(2) == 5", "assert candidate(3) == 14",
              "assert candidate(0) == 0", "assert candidate(10) == 385"],
}


def answer(proposal: dict, chatter: bool = True) -> str:
    text = json.dumps(proposal)
    return f"Sure! Here it is:\n```json\n{text}\n```\nHope this helps." if chatter else text


def scripted(*answers: str):
    queue = list(answers)
    prompts = []

    def complete(prompt: str) -> str:
        prompts.append(prompt)
        return queue.pop(0)
    complete.prompts = prompts  # type: ignore[attr-defined]
    return complete


@pytest.mark.process
def test_a_good_proposal_becomes_a_valid_llm_task():
    complete = scripted(answer(GOOD))
    p = Proposer(complete, run)
    task = p.propose("math", 3)
    assert task is not None and validate_task(task) == []
    assert task["source"] == "llm" and task["skill"] == "math" and task["difficulty"] == 3
    assert task["visible_tests"].count("assert") == 2 and task["hidden_tests"].count("assert") == 3
    assert "math" in complete.prompts[0] and "difficulty 3" in complete.prompts[0]
    assert p.stats() == {"accepted": 1, "rejected": {}, "last_rejection": ""}


@pytest.mark.process
@pytest.mark.parametrize("reason, proposal", [
    ("reference_fails", {**GOOD, "tests": GOOD["tests"][:-1] + ["assert candidate(10) == 386"]}),
    ("forbidden_import", {**GOOD, "reference": "import os\n" + GOOD["reference"]}),
    ("forbidden_import", {**GOOD, "tests": GOOD["tests"] + ["assert candidate(__import__('subprocess') and 1) == 1"]}),
    ("trivial_tests", {**GOOD, "tests": ["assert candidate(1) == 1", "assert candidate(1) == 1", "assert True"]}),
    ("trivial_tests", {**GOOD, "tests": ["assert candidate(1) == 1", "assert candidate(2) == 5"]}),
    ("trivial_tests", {**GOOD, "reference": "def f(n):\n    return None\n", "entry_point": "f",
                       "tests": ["assert candidate(1) is None", "assert candidate(2) is None",
                                 "assert candidate(3) is None"]}),
    ("nondeterministic", {**GOOD, "reference": "import random\n\ndef sum_squares(n):\n"
                          "    print(random.random())\n    return sum(i * i for i in range(n + 1))\n"}),
    ("syntax_error", {**GOOD, "reference": "def sum_squares(n:\n"}),
    ("bad_entry_point", {**GOOD, "entry_point": "sum squares; import os"}),
])
def test_bad_proposals_are_rejected_with_their_reason(reason, proposal):
    p = Proposer(scripted(answer(proposal)), run)
    assert p.propose("math", 3) is None
    assert p.rejections == {reason: 1}, p.last_rejection


@pytest.mark.unit
def test_unparseable_answers_and_model_failures_are_counted():
    def broken(prompt: str) -> str:
        raise ConnectionError("model server down")
    p = Proposer(scripted("I cannot do that.", "{not json}", json.dumps({"title": "x"})), run)
    assert [p.propose("lists", 2) for _ in range(3)] == [None, None, None]
    assert p.rejections == {"no_json": 1, "bad_json": 1, "missing_field": 1}
    q = Proposer(broken, run)
    assert q.propose("lists", 2) is None and q.rejections == {"error": 1}
    assert "model server down" in q.last_rejection


@pytest.mark.unit
def test_validate_raises_rejected_directly():
    with pytest.raises(Rejected) as err:
        validate(parse_proposal(answer({**GOOD, "tests": GOOD["tests"][:2]})), run)
    assert err.value.reason == "trivial_tests"
