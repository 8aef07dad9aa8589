"""Scorer: pure metrics on known inputs, and real sandbox grading of known candidates."""

from __future__ import annotations

import pytest

from actors.scorer import metrics
from actors.scorer.elegance import elegance
from actors.scorer.grade import grade
from actors.trainer.taskbank import make_task
from ops.ground.config import ScorerConfig

WEIGHTS = metrics.weights_from(ScorerConfig())

# --- known candidates for lists/4 (dedupe keeping order) -----------------------------------
CORRECT = "def dedupe(xs):\n    return list(dict.fromkeys(xs))\n"
WRONG = "def dedupe(xs):\n    return sorted(set(xs))\n"  # loses the order: fails hidden tests
EDGE_WRONG = ("def dedupe(xs):\n    if not xs:\n        return None\n"  # wrong only on []
              "    return list(dict.fromkeys(xs))\n")
SLOW = "def dedupe(xs):\n    return sorted(set(xs), key=xs.index)\n"  # correct, O(n * distinct)
CONVOLUTED = '''def dedupe(xs):
    list = []
    seen = {}
    unused = 0
    try:
        for i in range(len(xs)):
            x = xs[i]
            if x in seen:
                if seen[x] == True:
                    continue
                else:
                    pass
            else:
                if True:
                    seen[x] = True
                    list.append(x)
    except:
        pass
    return list
'''


@pytest.fixture(scope="module")
def graded() -> dict[str, dict]:
    task = make_task("lists", 4, 0)
    assert task["entry_point"] == "dedupe"
    return {name: grade(task, code, weights=WEIGHTS) for name, code in
            [("correct", CORRECT), ("wrong", WRONG), ("edge_wrong", EDGE_WRONG), ("slow", SLOW),
             ("convoluted", CONVOLUTED)]}


@pytest.mark.process
def test_correct_candidate_scores_full_marks(graded):
    s = graded["correct"]
    assert s["passed"] is True
    assert s["correctness"] == 1.0 and s["robustness"] == 1.0
    assert s["efficiency"] >= 0.6  # the reference's own algorithm: a ratio near 1 (0.6: up to 2x noise)
    assert s["elegance"] == 1.0
    assert s["details"]["efficiency_measured"] is True


@pytest.mark.process
def test_correctness_orders_wrong_last(graded):
    assert graded["wrong"]["correctness"] < 1.0
    assert graded["wrong"]["passed"] is False
    for name in ("correct", "edge_wrong", "slow", "convoluted"):
        assert graded[name]["correctness"] == 1.0, name


@pytest.mark.process
def test_robustness_catches_edge_case_bug(graded):
    assert graded["edge_wrong"]["correctness"] == 1.0
    assert graded["edge_wrong"]["robustness"] < graded["correct"]["robustness"]
    assert graded["edge_wrong"]["details"]["edge"]["first_failure"]


@pytest.mark.process
def test_efficiency_orders_slow_below_correct(graded):
    assert graded["slow"]["efficiency"] < graded["correct"]["efficiency"] - 0.2


@pytest.mark.process
def test_elegance_orders_convoluted_below_correct(graded):
    conv = graded["convoluted"]
    assert conv["elegance"] < graded["correct"]["elegance"] - 0.3
    d = conv["details"]["elegance"]
    assert d["bare_except"] == 1 and "list" in d["shadowed_builtins"] and "unused" in d["unused"]


@pytest.mark.process
def test_total_puts_the_correct_candidate_first(graded):
    totals = {k: v["total"] for k, v in graded.items()}
    assert max(totals, key=totals.get) == "correct"
    assert totals["wrong"] < totals["edge_wrong"]


@pytest.mark.process
def test_forbidden_import_voids_the_attempt():
    task = make_task("lists", 4, 0)
    s = grade(task, "import os\n" + CORRECT, weights=WEIGHTS)
    assert s["details"]["forbidden_imports"] == ["os"]
    assert s["total"] == 0.0 and s["passed"] is False


@pytest.mark.process
def test_crashing_candidate_scores_zero_without_raising():
    task = make_task("lists", 4, 0)
    s = grade(task, "def dedupe(xs):\n    raise SystemExit(3)\n", weights=WEIGHTS)
    assert s["correctness"] == 0.0 and s["passed"] is False and s["efficiency"] == 0.0
    s = grade(task, "def dedupe(xs:\n", weights=WEIGHTS)  # does not even parse
    assert s["correctness"] == 0.0 and s["elegance"] == 0.0


# --- pure metrics ---------------------------------------------------------------------------

@pytest.mark.unit
def test_efficiency_ratio_is_monotonic_and_bounded():
    ref = {"ok": True, "time_s": 0.01, "peak_bytes": 1_000_000}
    scores = [metrics.efficiency({"ok": True, "time_s": 0.01 * r, "peak_bytes": 1_000_000}, ref, 2.0)
              for r in (0.5, 1, 2, 5, 20, 100)]
    assert scores[0] == scores[1] == 1.0
    assert all(a > b for a, b in zip(scores[1:], scores[2:]))
    assert all(0.0 <= s <= 1.0 for s in scores)
    heavy = metrics.efficiency({"ok": True, "time_s": 0.01, "peak_bytes": 50_000_000}, ref, 2.0)
    assert heavy < 1.0  # memory counts too
    assert metrics.efficiency({"ok": False}, ref, 2.0) == 0.0
    assert metrics.efficiency({"ok": True, "time_s": 3.0, "peak_bytes": 1}, ref, 2.0) == 0.0  # over the limit
    assert metrics.efficiency({"ok": True, "time_s": 0.01, "peak_bytes": 1}, None, 2.0) is None


@pytest.mark.unit
def test_total_renormalises_over_measured_parts():
    parts = {"correctness": 1.0, "robustness": 1.0, "efficiency": None, "elegance": 0.0}
    w = {"correctness": 0.5, "robustness": 0.2, "efficiency": 0.15, "elegance": 0.15}
    assert metrics.weighted_total(parts, w) == round(0.7 / 0.85, 4)
    assert metrics.weighted_total({k: 1.0 for k in metrics.PARTS}, w) == 1.0
    custom = metrics.weights_from(ScorerConfig(correctness=1.0, robustness=0.0, efficiency=0.0, elegance=0.0))
    assert metrics.weighted_total({"correctness": 0.25, "robustness": 1, "efficiency": 1, "elegance": 1}, custom) == 0.25


@pytest.mark.unit
def test_elegance_measures():
    simple, _ = elegance("def f(xs):\n    return sum(xs)\n")
    nested, d = elegance("def f(xs):\n    t = 0\n    for a in xs:\n        for b in a:\n            for c in b:\n"
                         "                if c:\n                    if c > 1:\n                        while c:\n"
                         "                            c -= 1\n                            t += 1\n    return t\n")
    assert simple == 1.0 and nested < simple
    assert d["depth"] >= 6 and d["complexity"] >= 6
    assert elegance("def f(:\n")[0] == 0.0
    _, d = elegance("import sys\ndef f(x):\n    y = 1\n    return x\n")
    assert set(d["unused"]) == {"sys", "y"}


@pytest.mark.unit
def test_forbidden_imports_found_in_every_form():
    code = "import os.path\nfrom subprocess import run\nimport json\nx = __import__('socket')\n"
    assert metrics.forbidden_imports_used(code, ["os", "subprocess", "socket"]) == ["os", "socket", "subprocess"]
    assert metrics.forbidden_imports_used("from . import os\n", ["os"]) == []


@pytest.mark.unit
def test_trend_is_the_least_squares_slope_over_the_window():
    assert metrics.slope([0.0, 0.5, 1.0]) == pytest.approx(0.5)
    assert metrics.slope([1.0]) == 0.0
    scores = [{"skill": "a", "total": v} for v in (0.9, 0.8, 0.1, 0.2, 0.3)] + [{"skill": "b", "total": 0.5}] * 3
    trends = metrics.skill_trends(scores, window=3)
    assert trends["a"] == pytest.approx(0.1) and trends["b"] == 0.0


@pytest.mark.unit
def test_every_bank_reference_is_elegant_by_its_own_measure():
    from actors.trainer.taskbank import SKILLS
    for skill in SKILLS:
        for d in range(1, 11):
            ref = make_task(skill, d, 0)["reference"]
            assert elegance(ref, ref)[0] == 1.0, (skill, d)


@pytest.mark.process
def test_nothing_solved_earns_no_elegance_or_efficiency():
    """Issue 11: a candidate that does not even define the entry point scored elegance 1.0, total 0.15."""
    task = make_task("lists", 4, 0)
    for code in ("x = 1\n", "def other(xs):\n    return xs\n", "def dedupe(xs):\n    return None\n"):
        s = grade(task, code, weights=WEIGHTS)
        assert s["correctness"] == 0.0 and s["elegance"] == 0.0 and s["efficiency"] == 0.0, (code, s)
        assert s["total"] == 0.0 and s["details"]["elegance"]["statements"] >= 1  # the measures are kept


@pytest.mark.process
def test_scores_carry_the_judge_version_and_flag_tampering():
    task = make_task("lists", 4, 0)
    honest = grade(task, CORRECT, weights=WEIGHTS)
    assert honest["details"]["judge"] == 2 and honest["details"]["suspicious"] is False
    assert honest["details"]["signs"] == []
    forged = grade(task, "class L(list):\n    def __eq__(self, other):\n        return True\n"
                         "def dedupe(xs):\n    return L()\n", weights=WEIGHTS)
    assert forged["passed"] is False and forged["correctness"] == 0.0
    assert forged["details"]["suspicious"] is True
    assert forged["details"]["signs"] == ["refused result: __candidate__.L (a subclass of list)"]
    peeking = grade(task, "import gc\ndef dedupe(xs):\n    try:\n        gc.get_objects()\n    except ValueError:\n"
                          "        pass\n    return list(dict.fromkeys(xs))\n", weights=WEIGHTS)
    assert peeking["passed"] is True and peeking["details"]["suspicious"] is True  # correct, yet it looked around
    assert "blocked: gc.get_objects" in peeking["details"]["signs"]


@pytest.mark.process
def test_the_race_result_must_equal_the_references():
    task = make_task("lists", 4, 0)
    big = len(eval(task["meta"]["efficiency"]["setup"].split("=", 1)[1])[0])
    fast_wrong = f"def dedupe(xs):\n    return [] if len(xs) >= {big} else list(dict.fromkeys(xs))\n"
    s = grade(task, fast_wrong, weights=WEIGHTS)
    assert s["correctness"] == 1.0 and s["efficiency"] == 0.0
    assert "differs from the reference" in s["details"]["candidate_eff"]["error"]
