"""The search bandit (actors/builder/search.py), without processes: from a record where
resampling pays it resamples, where repairs pay (a strong model) it repairs, equal pass rates go
to the cheaper search, sparse cells pool over the skill then everything, and a choice is a
function of the record and the task id."""

from __future__ import annotations

import pytest

from actors.builder.search import (PRIOR_TRIES, Cell, choose, estimate, name_of, searches, stats_from_rows)
from actors.builder.strategy import Strategy

pytestmark = pytest.mark.unit

# tokens a try, as measured on the embedded model: repair ~3.5x one try, resampling ~2.5x
SMALL = {("lists", 2, "one"): Cell(60, 8, 60 * 400), ("lists", 2, "repair"): Cell(60, 8, 60 * 1400),
         ("lists", 2, "resample"): Cell(60, 16, 60 * 1000)}
STRONG = {("lists", 2, "one"): Cell(60, 30, 60 * 600), ("lists", 2, "repair"): Cell(60, 51, 60 * 900),
          ("lists", 2, "resample"): Cell(60, 39, 60 * 1500)}


def picks(stats, n=200, **kw):
    """How often each search is chosen over n task ids (Thompson sampling)."""
    out: dict[str, int] = {}
    for i in range(n):
        c = choose(stats, "lists", 2, task_id=f"t{i}", **kw).search
        out[c] = out.get(c, 0) + 1
    return out


def test_the_searches_change_only_how_candidates_are_found():
    base = Strategy(lessons=2, examples="off", repair_rounds=3, samples=1, normalise=True)
    s = searches(base)
    assert (s["one"].samples, s["one"].repair_rounds) == (1, 0)
    assert (s["repair"].samples, s["repair"].repair_rounds) == (1, 3)
    assert (s["resample"].samples, s["resample"].repair_rounds) == (4, 0)
    assert all((x.lessons, x.examples, x.normalise) == (2, "off", True) for x in s.values())
    assert searches(base.replace(repair_rounds=0, samples=6))["repair"].repair_rounds == 2
    assert searches(base.replace(samples=6))["resample"].samples == 6
    assert name_of(base, base) == "repair" and name_of(base.replace(samples=3, repair_rounds=1), base) == "custom"


def test_where_resampling_pays_it_resamples():
    assert choose(SMALL, "lists", 2, exploit=True).search == "resample"
    got = picks(SMALL)
    assert got.get("resample", 0) > 150, got


def test_where_repairs_pay_it_repairs():
    assert choose(STRONG, "lists", 2, exploit=True).search == "repair"
    got = picks(STRONG)
    assert got.get("repair", 0) > 150, got


def test_equal_pass_rates_go_to_the_cheaper_search():
    same = {("lists", 2, "one"): Cell(50, 20, 50 * 500), ("lists", 2, "repair"): Cell(50, 20, 50 * 1500),
            ("lists", 2, "resample"): Cell(50, 20, 50 * 2000)}
    assert choose(same, "lists", 2, exploit=True).search == "one"
    # the cheaper one wins even when it costs more per token in the table order
    cheap_resample = {**same, ("lists", 2, "one"): Cell(50, 20, 50 * 2500)}
    assert choose(cheap_resample, "lists", 2, exploit=True).search == "repair"
    # and a higher pass rate is worth far more than the tokens (default weight)
    better = {**same, ("lists", 2, "resample"): Cell(50, 23, 50 * 2000)}
    assert choose(better, "lists", 2, exploit=True).search == "resample"
    # unless tokens are weighted heavily
    assert choose(better, "lists", 2, exploit=True, cost_weight=0.1).search == "one"


def test_untried_searches_are_tried_first_cheapest_first():
    assert choose({}, "lists", 2, task_id="x").search == "one"
    only_one = {("lists", 2, "one"): Cell(3, 0, 900)}
    c = choose(only_one, "lists", 2, task_id="x")
    assert (c.search, c.reason) == ("repair", "untried")
    two = {**only_one, ("sets", 1, "repair"): Cell(1, 0, 900)}
    assert choose(two, "lists", 2, task_id="x").search == "resample"


def test_the_exam_exploits_tried_searches_only():
    only_one = {("lists", 2, "one"): Cell(3, 0, 900)}
    assert choose(only_one, "lists", 2, exploit=True).search == "one"
    c = choose({}, "lists", 2, exploit=True)
    assert (c.search, c.reason) == ("one", "no record")


def test_sparse_cells_pool_over_the_skill_then_everything():
    # this difficulty has two tries of repair, both passed; the skill's other difficulty (60 tries
    # each) says resampling pays: the skill outweighs two tries
    stats = {**{("lists", 5, k[2]): v for k, v in SMALL.items()}, ("lists", 2, "repair"): Cell(2, 2, 2000)}
    repair = estimate(stats, "lists", 2, "repair")
    assert repair.level == "cell" and repair.mean < 0.3  # 2 of 2 here, 8 of 60 at difficulty 5
    assert repair.a + repair.b == pytest.approx(PRIOR_TRIES + 2 + 2)  # the skill counts as PRIOR_TRIES tries
    assert choose(stats, "lists", 2, exploit=True).search == "resample"
    # an unseen skill follows everything: here a strong model's record of another skill
    stats = {("strings", 1, k[2]): v for k, v in STRONG.items()}
    c = choose(stats, "lists", 2, exploit=True)
    assert (c.search, c.level) == ("repair", "all")
    # a cell's own tries outweigh the rest once there are enough of them
    own = PRIOR_TRIES * 3
    stats = {**{("lists", 5, k[2]): v for k, v in SMALL.items()},
             ("lists", 2, "one"): Cell(own, 0, own * 400), ("lists", 2, "repair"): Cell(own, own // 2, own * 900),
             ("lists", 2, "resample"): Cell(own, 2, own * 1000)}
    c = choose(stats, "lists", 2, exploit=True)
    assert (c.search, c.level) == ("repair", "cell")
    # and a skill's own record outweighs everything else's
    mixed = {**{("lists", 2, k[2]): v for k, v in SMALL.items()}, **{("math", 2, k[2]): v for k, v in STRONG.items()}}
    assert choose(mixed, "lists", 2, exploit=True).search == "resample"
    assert choose(mixed, "math", 3, exploit=True).search == "repair"


def test_a_choice_is_reproducible_from_the_task_id():
    close = {("lists", 2, "one"): Cell(10, 3, 4000), ("lists", 2, "repair"): Cell(10, 4, 14000),
             ("lists", 2, "resample"): Cell(10, 4, 10000)}
    first = [choose(close, "lists", 2, task_id=f"t{i}").search for i in range(40)]
    assert first == [choose(close, "lists", 2, task_id=f"t{i}").search for i in range(40)]
    assert len(set(first)) > 1  # and it explores while the record is close


def test_the_record_is_read_not_trusted():
    rows = [{"skill": "lists", "difficulty": 2, "search": "resample", "n": 4, "passed": 2, "tokens": 4000},
            {"skill": "lists", "difficulty": "2", "search": "resample", "n": 1, "passed": None, "tokens": None},
            {"skill": "lists", "difficulty": "x", "search": "one", "n": 1, "passed": 1, "tokens": 1},
            {"skill": "lists", "difficulty": 2, "search": "custom", "n": 9, "passed": 9, "tokens": 1},
            {"skill": "lists"}]
    assert stats_from_rows(rows) == {("lists", 2, "resample"): Cell(5, 2, 4000)}
