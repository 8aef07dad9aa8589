"""The HTML report's charts, checked in the SVG itself: readable with 5 scores and with 5,000 (no
two legend labels overlap, every series drawn and told apart, bounded size), and the "ability
per skill" chart the README promises."""

from __future__ import annotations

import random
import re
import subprocess
from xml.etree import ElementTree

import pytest

from ops.report.svg import line_chart
from store import Store
from tests.conftest import cogloop_cmd
from tests.operatorhelp import fill

NS = "{http://www.w3.org/2000/svg}"
SKILLS = ["strings", "lists", "math", "recursion", "sorting_searching", "dicts_hashing", "parsing",
          "stacks_queues", "dynamic_programming", "graphs", "a_skill_with_a_rather_long_name_indeed", "Ünïcode"]


def text_box(el: ElementTree.Element) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a legend entry: its colour swatch (14 px left of the text) and the text,
    as long as its textLength when it pins one, else 0.56 em per character (Arial's mean
    advance: a label needs at least that much room)."""
    size = float(el.get("font-size", 10))
    width = float(el.get("textLength")) if el.get("textLength") else 0.56 * size * len("".join(el.itertext()))
    x, y = float(el.get("x")), float(el.get("y"))
    return x - 14, y - size, x + width, y + 0.25 * size


def legend_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every legend label with its box: the text after each swatch, below the plot's x axis."""
    root = ElementTree.fromstring(svg)
    axis_y = max(float(l.get("y1")) for l in root.iter(NS + "line") if l.get("stroke") == "#333")
    texts = [t for t in root.iter(NS + "text") if float(t.get("y")) > axis_y + 20]
    return [("".join(t.itertext()), text_box(t)) for t in texts]


def overlapping(boxes):
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba[0] < bb[2] and bb[0] < ba[2] and ba[1] < bb[3] and bb[1] < ba[3]]


def series_data(n_scores: int, skills: list[str], seed: int = 1) -> dict[str, list[tuple[float, float]]]:
    rng = random.Random(seed)
    out: dict[str, list[tuple[float, float]]] = {s: [] for s in skills}
    for i in range(n_scores):
        out[skills[i % len(skills)] if i < len(skills) else rng.choice(skills)].append((60.0 * i, rng.random()))
    return {k: v for k, v in out.items() if v}


@pytest.mark.unit
@pytest.mark.parametrize("width", [520, 1080])
@pytest.mark.parametrize("n_scores, n_skills", [(5, 5), (5000, 12)])
def test_legend_labels_never_overlap(width, n_scores, n_skills):
    svg = line_chart(series_data(n_scores, SKILLS[:n_skills]), title="t", width=width, y_min=0, y_max=1)
    boxes = legend_boxes(svg)
    assert len(boxes) == n_skills
    assert overlapping(boxes) == []
    root = ElementTree.fromstring(svg)
    assert all(0 <= b[0] and b[2] <= float(root.get("width")) and b[3] <= float(root.get("height"))
               for _, b in boxes)  # inside the picture, not cut off


@pytest.mark.unit
def test_the_reported_overlap_dynamic_programming_and_graphs():
    svg = line_chart({s: [(0, 0.5), (1, 0.6)] for s in SKILLS[:10]}, title="t")
    boxes = dict(legend_boxes(svg))
    assert overlapping(list(boxes.items())) == []
    dp, graphs = boxes["dynamic_programming"], boxes["graphs"]
    assert dp[2] <= graphs[0] or dp[3] <= graphs[1] or graphs[3] <= dp[1]


@pytest.mark.unit
@pytest.mark.parametrize("n_scores, n_skills", [(5, 3), (5, 5), (5000, 12)])
def test_every_series_is_drawn_inside_the_plot_and_told_apart(n_scores, n_skills):
    data = series_data(n_scores, SKILLS[:n_skills])
    svg = line_chart(data, title="t", y_min=0, y_max=1)
    root = ElementTree.fromstring(svg)
    axis = [l for l in root.iter(NS + "line") if l.get("stroke") == "#333"]
    x_axis = next(l for l in axis if l.get("y1") == l.get("y2"))
    y_axis = next(l for l in axis if l.get("x1") == l.get("x2"))
    left, right, bottom, top = (float(x_axis.get("x1")), float(x_axis.get("x2")), float(x_axis.get("y1")),
                                float(y_axis.get("y1")))
    looks = {}
    for name in data:
        marks = [e for e in root.iter() if e.get("data-series") == name and not e.tag.endswith("g")]
        assert marks, f"{name} is not drawn"
        for e in marks:
            if e.tag == NS + "polyline":
                pts = [tuple(map(float, p.split(","))) for p in e.get("points").split()]
                assert len(pts) >= 2 and float(e.get("stroke-width")) >= 1.5
            else:
                assert e.tag == NS + "circle" and float(e.get("r")) >= 2
                pts = [(float(e.get("cx")), float(e.get("cy")))]
            assert all(left - 0.5 <= x <= right + 0.5 and top - 0.5 <= y <= bottom + 0.5 for x, y in pts)
        first = marks[0]
        looks[name] = (first.get("stroke") or first.get("fill"), first.get("stroke-dasharray") or "")
    assert len(set(looks.values())) == len(looks), looks  # no two series look the same


@pytest.mark.unit
def test_one_point_series_is_a_dot_and_single_scores_are_marked():
    svg = line_chart({"once": [(0, 1.0)], "twice": [(0, 0.0), (60, 1.0)]}, title="t", y_min=0, y_max=1)
    root = ElementTree.fromstring(svg)
    dots = [e for e in root.iter(NS + "circle") if e.get("data-series") == "once"]
    assert len(dots) == 1
    assert len([e for e in root.iter(NS + "circle") if e.get("data-series") == "twice"]) == 2


@pytest.mark.unit
def test_five_thousand_points_stay_small():
    svg = line_chart(series_data(5000, SKILLS[:10]), title="t", y_min=0, y_max=1)
    root = ElementTree.fromstring(svg)
    for poly in root.iter(NS + "polyline"):
        assert len(poly.get("points").split()) <= 240
    assert len(svg) < 60_000


@pytest.mark.unit
def test_values_above_the_requested_axis_stay_on_the_chart():
    svg = line_chart({"a": [(0, 2.0), (1, 14.1)], "b": [(0, 1.0), (1, 3.0)]}, title="t", y_min=0, y_max=10)
    labels = ["".join(t.itertext()) for t in ElementTree.fromstring(svg).iter(NS + "text")]
    assert "16" in labels and "12" in labels  # a round axis top above 14.1, in round steps


def report_html(home, tmp_path) -> str:
    out = tmp_path / "r.html"
    proc = subprocess.run(cogloop_cmd("report", "--home", str(home), "--html", str(out)), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


def svgs(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg[^>]*aria-label="([^"]*)".*?</svg>', html, re.S)}


@pytest.mark.process
def test_report_has_ability_per_skill_from_the_profile_snapshots(home, tmp_path):
    clock = fill(home / "history.db", [("strings", 1, True, 0.9), ("lists", 2, False, 0.2)])
    with Store.open(home / "history.db", clock=clock) as s:
        for mu in (1.0, 1.5, 2.5):
            clock.t += 60
            s.snapshot_profile({"skills": {"strings": {"mu": mu, "attempts": 3}, "lists": {"mu": 4 - mu, "attempts": 2},
                                           "graphs": {"mu": 1.5, "attempts": 0}}})
    charts = svgs(report_html(home, tmp_path))
    ability = next(svg for label, svg in charts.items() if label.startswith("Ability per skill"))
    names = {e.get("data-series") for e in ElementTree.fromstring(ability).iter() if e.get("data-series")}
    assert names == {"strings", "lists"}  # graphs is untried: the prior, not a measurement
    line = next(e for e in ElementTree.fromstring(ability).iter(NS + "polyline") if e.get("data-series") == "strings")
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys == sorted(ys, reverse=True) and len(ys) == 3  # rising ability is drawn going up


@pytest.mark.process
def test_report_pass_rate_charts_say_how_many_scores(home, tmp_path):
    fill(home / "history.db", [("graphs", 1, True, 0.9)] + [("dynamic_programming", 2, i % 2 == 0, 0.5)
                                                            for i in range(4)])
    charts = svgs(report_html(home, tmp_path))
    graphs = next(svg for label, svg in charts.items() if label.startswith("graphs"))
    assert "1 score, 1 passed" in graphs  # not a bare dot at 100 %
    assert any(label.startswith("dynamic_programming · 4 scores, 2 passed") for label in charts)


@pytest.mark.unit
def test_ability_series_reads_a_bounded_sample_of_snapshots(home):
    from ops.readdb import open_readonly
    from ops.report.ability import MAX_SNAPSHOTS, ability_series

    clock = fill(home / "history.db", [("strings", 1, True, 0.9)])
    with Store.open(home / "history.db", clock=clock) as s:
        for i in range(1000):
            clock.t += 1
            s.snapshot_profile({"skills": {"strings": {"mu": i / 100, "attempts": i + 1}}}, every_s=0)
    with open_readonly(home / "history.db") as conn:
        series = ability_series(conn)["strings"]
    assert MAX_SNAPSHOTS // 2 <= len(series) <= MAX_SNAPSHOTS + 1
    assert series[-1][1] == 9.99 and series[0][1] == 0.0  # the first and the latest are both there
