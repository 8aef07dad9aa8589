"""Clustered intervals (pure), the arms and the learning line."""

from __future__ import annotations

import math

import pytest

from actors.builder.strategy import Strategy, keep_example, relevance
from actors.exam.arms import PLAIN, UnknownArm, cache_key, make_arm, parse_arms
from actors.exam.stats import clustered_mean, lift, pass_rate, t975
from actors.exam.summary import learning_line, summarize
from actors.trainer.taskbank import make_task

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("df, table", [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228),
                                       (30, 2.042), (120, 1.980)])
def test_t_quantile_matches_the_tables(df, table):
    assert abs(t975(df) - table) < 1e-3


def test_clustered_standard_error_by_hand():
    # clusters a: [1, 1], b: [0, 0], c: [1, 0]; mean 0.5; residual sums +1, -1, 0
    est = clustered_mean([1, 1, 0, 0, 1, 0], ["a", "a", "b", "b", "c", "c"])
    se = math.sqrt(3 / 2 * (1 + 1 + 0) / 36)
    assert est.mean == 0.5 and est.clusters == 3 and est.se == pytest.approx(se)
    assert est.low == pytest.approx(max(0.0, 0.5 - t975(2) * se)) and est.high == pytest.approx(min(1.0, 0.5 + t975(2) * se))


def test_clustering_widens_the_interval_when_a_generator_passes_or_fails_as_a_whole():
    passed = [True] * 10 + [False] * 10 + [True] * 10 + [False] * 10
    iid = pass_rate(passed, list(range(40)))
    grouped = pass_rate(passed, [i // 10 for i in range(40)])  # four generators of ten tasks each
    assert grouped.mean == iid.mean == 0.5
    assert (grouped.high - grouped.low) > 2 * (iid.high - iid.low)


def test_lift_is_paired_and_needs_two_clusters():
    a, b = [True, True, False, True], [False, True, False, False]
    est = lift(a, b, ["g1", "g1", "g2", "g3"])
    assert est.mean == 0.5 and est.n == 4 and est.low is not None and -1 <= est.low <= est.mean <= est.high <= 1
    one = lift(a, b, ["g"] * 4)
    assert one.low is None and one.high is None and one.mean == 0.5
    assert clustered_mean([], []).to_dict()["mean"] is None  # JSON-safe, never NaN
    with pytest.raises(ValueError):
        lift([True], [True, False], ["g"])


def test_arms_switch_parts_relative_to_the_configuration():
    base = Strategy(lessons=3, examples="similar", example_threshold=0.4, repair_rounds=2, samples=1)
    arms = {a.name: a for a in parse_arms("plain, loop,nomemory,repair,lessons,examples,sampling,plain@k,plain", base)}
    assert list(arms) == ["plain", "loop", "nomemory", "repair", "lessons", "examples", "sampling", "plain@k"]
    assert arms["plain"].strategy == PLAIN and not PLAIN.uses_memory
    assert arms["loop"].strategy == base and not arms["loop"].cacheable
    assert arms["nomemory"].strategy == base.without_memory() and arms["nomemory"].cacheable
    assert arms["repair"].strategy == PLAIN.replace(repair_rounds=2)
    assert arms["lessons"].strategy == PLAIN.replace(lessons=3)
    assert arms["examples"].strategy.example_threshold == 0.4 and arms["examples"].strategy.lessons == 0
    assert arms["sampling"].strategy.samples == 4 and arms["plain@k"].pass_at_k == 4
    off = Strategy(lessons=0, examples="off", repair_rounds=0, samples=1)
    assert make_arm("repair", off).strategy.repair_rounds == 2 and make_arm("lessons", off).strategy.lessons == 3
    with pytest.raises(UnknownArm, match="known: plain"):
        parse_arms("plain,bogus", base)
    with pytest.raises(UnknownArm):
        parse_arms(" , ", base)


def test_arms_that_behave_alike_share_a_cache_key():
    settings = {"model": "m", "temperature": 0.0}
    off = Strategy(lessons=3, examples="similar", repair_rounds=0, samples=1)
    assert cache_key("e", make_arm("nomemory", off), settings) == cache_key("e", make_arm("plain", off), settings)
    assert cache_key("e", make_arm("plain", off), settings) != cache_key("e", make_arm("plain", off), {**settings, "model": "n"})
    assert cache_key("e", make_arm("plain", off), settings) != cache_key("f", make_arm("plain", off), settings)
    # sampling settings do not matter for a single try, the threshold not without examples
    assert PLAIN.replace(sample_seed=9, example_threshold=0.5).to_dict() == PLAIN.to_dict()


def _bank(entry_point: str, skip: int = 0) -> dict:
    found = [t for t in (make_task("lists", 2, s) for s in range(100)) if t["entry_point"] == entry_point]
    return {**found[skip], "id": f"{entry_point}-{skip}"}


def _as_example(t: dict) -> dict:
    return {"task_id": t["id"], "code": t["reference"], "title": t["title"], "prompt": t["prompt"],
            "entry_point": t["entry_point"]}


def test_an_irrelevant_example_is_not_shown_above_a_threshold():
    """The issue: list_count failed copying the max(lst) of a list_largest example it was shown."""
    count = _bank("list_count")
    same, other = _as_example(_bank("list_count", 1)), _as_example(_bank("list_largest"))
    assert same["prompt"] != count["prompt"]  # the same generator with other constants
    assert relevance(count, same) == 1.0
    assert relevance(count, other) < 0.3
    strict = Strategy(example_threshold=0.5)
    assert keep_example(count, same, strict) is not None
    assert keep_example(count, other, strict) is None
    assert keep_example(count, other, Strategy()) is not None  # threshold 0: today's behaviour
    assert keep_example(count, same, Strategy(examples="off")) is None


def test_summary_and_the_learning_line():
    tasks = [{"id": f"t{i}", "generator": f"g{i % 4}", "part": "seen" if i % 4 < 3 else "heldout"} for i in range(8)]
    rows = []
    for t in tasks:
        rows.append({"arm": "plain", "exam_task_id": t["id"], "passed": t["id"] in ("t0",), "tokens_in": 10, "tokens_out": 5})
        rows.append({"arm": "nomemory", "exam_task_id": t["id"], "passed": t["id"] in ("t0",), "tokens_in": 20, "tokens_out": 5})
        rows.append({"arm": "loop", "exam_task_id": t["id"], "passed": t["id"] in ("t0", "t1", "t5"),
                     "tokens_in": 30, "tokens_out": 5})
    s = summarize(tasks, rows, ["plain", "loop", "nomemory"])
    assert s["arms"]["loop"]["passed"] == 3 and s["arms"]["loop"]["tokens_per_solved"] == round(8 * 35 / 3, 1)
    assert s["arms"]["loop"]["parts"]["seen"]["passed"] == 3 and s["arms"]["loop"]["parts"]["heldout"]["passed"] == 0
    mem = next(x for x in s["lifts"] if x["label"] == "memory")
    assert mem["all"]["mean"] == 0.25 and mem["heldout"]["mean"] == 0.0
    assert learning_line(s) == ("learning: plain 1/8, loop 3/8, ratio 3.00; memory on-off +25.0 pts "
                                "(seen +33.3 pts, held-out +0.0 pts)")
    only = summarize(tasks, [r for r in rows if r["arm"] != "nomemory"], ["plain", "loop"])
    assert learning_line(only).endswith("memory on-off n/a pts (seen n/a pts, held-out n/a pts)")
    no_loop = summarize(tasks, [r for r in rows if r["arm"] == "plain"], ["plain"])
    assert learning_line(no_loop).startswith("learning: plain 1/8, loop 0/0, ratio n/a;")
