"""The lesson policy (store/lessons.py) and mining (store/mining.py) as pure code: the random
share, the verdict thresholds, the power calculation, and the patterns of a real record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.ground.config import Config
from store.lessons import Counts, draw, effect, next_state, pick, uses_needed
from store.mining import mine

pytestmark = pytest.mark.unit
RECORD = json.loads((Path(__file__).parent / "data" / "mem_run_attempts.json").read_text())["rows"]


@pytest.mark.parametrize("share", [0.1, 0.5, 0.8])
def test_share_is_about_share_over_many_ids_and_reproducible(share: float) -> None:
    shown = [draw(f"task-{t}", lesson) < share for t in range(400) for lesson in range(10)]
    assert abs(sum(shown) / len(shown) - share) < 0.03
    assert shown == [draw(f"task-{t}", lesson) < share for t in range(400) for lesson in range(10)]
    # one task does not show all its lessons together: the draws of its lessons are independent
    per_task = {sum(draw(f"task-{t}", lesson) < 0.5 for lesson in range(10)) for t in range(400)}
    assert len(per_task) > 4


def test_pick_shows_proven_always_trial_by_the_draw_and_retired_never() -> None:
    lessons = [{"id": 1, "state": "proven"}, {"id": 2, "state": "retired"}] + \
              [{"id": i, "state": "trial"} for i in range(3, 9)]
    for t in range(50):
        shown, held = pick(lessons, f"t{t}", 0.5, limit=10)
        ids = [l["id"] for l in shown]
        assert ids[0] == 1 and 2 not in ids and 2 not in held
        assert set(ids[1:]) == {i for i in range(3, 9) if draw(f"t{t}", i) < 0.5}
        assert set(held) == {i for i in range(3, 9) if draw(f"t{t}", i) >= 0.5}
    assert pick(lessons, "t", 1.0, limit=10)[1] == [] and [l["id"] for l in pick(lessons, "t", 0.0, 10)[0]] == [1]
    # the limit cuts drawn lessons, which then are neither shown nor held (not compared)
    shown, held = pick(lessons, "t1", 1.0, limit=3)
    assert len(shown) == 3 and held == []


def test_power_calculation_and_the_configured_default() -> None:
    assert uses_needed(0.20, 0.10) == 294  # +10 points over 20 %, 5 % two-sided, 80 % power
    assert uses_needed(0.20, 0.20) < 100 < uses_needed(0.20, 0.10) < uses_needed(0.20, 0.05)
    assert Config().builder.lesson_min_uses == uses_needed() and Config().builder.lesson_share == 0.5
    with pytest.raises(ValueError):
        uses_needed(0.95, 0.10)


def test_effect_is_the_difference_with_an_interval() -> None:
    assert effect(Counts(10, 5, 0, 0)) is None
    e = effect(Counts(300, 90, 300, 60))
    assert e is not None and e.estimate == pytest.approx(0.10) and 0 < e.low < 0.10 < e.high
    e = effect(Counts(300, 60, 300, 60))
    assert e is not None and e.low < 0 < e.high


def test_states_change_only_at_min_uses_per_side() -> None:
    helps, hurts, unsure = Counts(300, 90, 300, 60), Counts(300, 45, 300, 75), Counts(300, 70, 300, 60)
    assert next_state("trial", helps, 294) == "proven"
    assert next_state("trial", hurts, 294) == "retired"
    assert next_state("trial", unsure, 294) == "trial"  # positive, interval across zero: keep trying
    assert next_state("trial", Counts(300, 60, 300, 60), 294) == "retired"  # no effect at all: <= 0
    assert next_state("trial", Counts(293, 90, 300, 60), 294) == "trial"  # one side short
    assert next_state("trial", Counts(300, 90, 293, 60), 294) == "trial"
    assert next_state("retired", helps, 294) == "retired" and next_state("proven", hurts, 294) == "proven"


def _mined(rows):
    return {m.pattern: m for m in mine(rows)}


def test_mining_finds_the_patterns_of_a_real_record() -> None:
    def skill(name):
        return [r for r in RECORD if r["skill"] == name]

    stacks = _mined(skill("stacks_queues"))
    assert stacks["wrong_name"].text == "Name the function exactly as the task says, never `candidate` (an answer here wrote `candidate` for `last_item` and failed)."
    assert stacks["wrong_name"].count == 3
    assert "pasted_tests" in stacks and stacks["pasted_tests"].count >= 2
    assert "IndexError:pop from empty list" in stacks
    dicts = _mined(skill("dicts_hashing"))
    assert "TypeError:isinstance" in dicts and "isinstance(" in dicts["TypeError:isinstance"].text
    assert "pasted_tests" in dicts
    recursion = _mined(skill("recursion"))
    assert recursion["endless_loop"].count == 2 and "while True" in recursion["endless_loop"].text
    assert _mined(skill("parsing"))["wrong_name"].text.startswith("Name the function exactly as the task says, never `candidate_split`")
    for m in mine(RECORD):
        assert m.evidence()["count"] == m.count >= 2 and all(m.evidence()["attempts"])


def test_mining_finds_nothing_in_passing_rows_and_needs_recurrence() -> None:
    passes = [r for r in RECORD if r["passed"]]
    assert len(passes) >= 10 and mine(passes) == []
    one = [r for r in RECORD if r["skill"] == "stacks_queues" and not r["passed"]
           and r["error"].startswith("missing entry point")][:1]
    assert mine(one) == [] and mine(one, min_evidence=1)


def test_mining_sees_printing_instead_of_returning_and_undefined_names() -> None:
    rows = [{"id": f"a{i}", "passed": 0, "entry_point": "total", "error": "0 of 3 visible tests passed.",
             "code": "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    print(s)\n"} for i in range(2)]
    rows += [{"id": f"b{i}", "passed": 0, "entry_point": "sum_to", "error": (
        "0 of 3 visible tests passed.\nFAILED L1: assert candidate(22) == 253: NameError: name 'n' is not defined"),
        "code": "def sum_to(*args):\n    return n * (n + 1) // 2"} for i in range(2)]
    got = _mined(rows)
    assert got["prints_result"].text.startswith("Return the result from `total`")
    assert "`n` was never defined" in got["undefined:n"].text and "return n * (n + 1) // 2" in got["undefined:n"].text


def test_a_clearly_harmful_lesson_stops_early_and_an_undecided_one_at_twice_min_uses() -> None:
    assert next_state("trial", Counts(40, 2, 40, 20), 294) == "retired"  # 5 % shown against 50 % held back
    assert next_state("trial", Counts(40, 8, 40, 12), 294) == "trial"  # worse, but not clearly: keep trying
    assert next_state("trial", Counts(29, 0, 40, 20), 294) == "trial"  # one side short of the early look
    assert next_state("trial", Counts(40, 30, 40, 5), 294) == "trial"  # clearly helpful waits for min_uses
    assert next_state("trial", Counts(500, 110, 500, 100), 294) == "trial"  # +2 pts, undecided
    assert next_state("trial", Counts(588, 130, 588, 120), 294) == "retired"  # still undecided at 2 x min_uses
