"""The attempt loop against a scripted LLM server: repair rounds feed the failing output back,
the best candidate is kept, an unavailable LLM is handled."""

from __future__ import annotations

import pytest

from actors.builder.loop import run_attempt
from actors.builder.prompt import build_prompt
from actors.llm import LLMClient, LLMError
from ops.ground.config import LLMConfig
from tests.builder_helpers import inproc_run_tests
from tests.fakellm import FakeLLM

pytestmark = pytest.mark.unit

TASK = {"id": "t1", "title": "Add", "prompt": "Return a + b.", "entry_point": "add", "skill": "math",
        "difficulty": 1, "visible_tests": "assert candidate(1, 2) == 3\nassert candidate(0, 0) == 0"}
WRONG = "```python\ndef add(a, b):\n    return a - b - 1\n```"
HALF = "```python\ndef add(a, b):\n    return 3\n```"
RIGHT = "```python\ndef add(a, b):\n    return a + b\n```"


def attempt(fake: FakeLLM, rounds: int = 2, **cfg: object):
    client = LLMClient(LLMConfig(url=fake.url, model="fake-model", retries=0, breaker_failures=1, **cfg),  # type: ignore[arg-type]
                       sleep=lambda s: None)
    return run_attempt(TASK, build_prompt(TASK), llm=client.chat, run_tests=inproc_run_tests, repair_rounds=rounds)


def test_repair_feeds_the_error_output_back_and_passes() -> None:
    with FakeLLM([{"content": WRONG, "usage": {"prompt_tokens": 100, "completion_tokens": 20}},
                  {"content": RIGHT, "usage": {"prompt_tokens": 150, "completion_tokens": 10}}]) as fake:
        out = attempt(fake)
        second = fake.chat_requests[1]["messages"]
    assert out.status == "passed" and out.repair_rounds == 1 and out.code.endswith("return a + b")
    assert (out.tokens_in, out.tokens_out, out.visible_passed, out.visible_total) == (250, 30, 2, 2)
    assert second[2] == {"role": "assistant", "content": WRONG}
    feedback = second[3]["content"]
    assert "0 of 2 visible tests passed" in feedback
    assert "AssertionError" in feedback and "assert candidate(1, 2) == 3" in feedback
    assert "--- round 1 ---" in out.response and WRONG in out.response


def test_missing_entry_point_is_fed_back_then_fails_with_a_clear_reason() -> None:
    nameless = "```python\ndef plus(a, b):\n    return a + b\n```"
    with FakeLLM([nameless] * 3) as fake:
        out = attempt(fake)
        assert "missing entry point" in fake.chat_requests[1]["messages"][-1]["content"]
    assert out.status == "error" and out.category == "missing_entry_point" and out.repair_rounds == 2
    assert out.error.startswith("missing entry point") and "'add'" in out.error


def test_keeps_the_round_that_passed_most_visible_tests() -> None:
    with FakeLLM([HALF, WRONG, "no code today"]) as fake:
        out = attempt(fake)
    assert out.status == "failed" and out.visible_passed == 1 and "return 3" in out.code
    assert out.category == "wrong_answer" and len(out.rounds) == 3


def test_no_repair_rounds_means_one_call() -> None:
    with FakeLLM([WRONG, RIGHT]) as fake:
        out = attempt(fake, rounds=0)
        assert len(fake.chat_requests) == 1
    assert out.status == "failed" and out.repair_rounds == 0


@pytest.mark.parametrize("error", [{"status": 503}, {"status": 400, "body": {"error": {"message": "bad"}}},
                                   {"status": 401}, {"close": True}])
def test_an_endpoint_error_before_any_answer_propagates(error: dict) -> None:
    with FakeLLM([error]) as fake:
        with pytest.raises(LLMError) as info:
            attempt(fake)  # no answer from the model: no attempt to record
    assert info.value.sent


def test_llm_down_during_repair_keeps_the_candidate() -> None:
    with FakeLLM([HALF, {"status": 503}]) as fake:
        out = attempt(fake)
    assert out.status == "failed" and out.visible_passed == 1 and "llm error during repair (HTTP 503" in out.error
