"""The report's learning section from exam tables (unit: a SQLite file, no process)."""

from __future__ import annotations

import sqlite3

import pytest

from actors.exam.tasks import ExamSpec, select_exam
from ops.report.learning import collect, curve_chart, curve_lines, html_section
from store import Store
from store.service import handle

pytestmark = pytest.mark.unit


def test_the_curve_has_one_point_per_finished_run_and_latest_is_the_newest_finished(tmp_path):
    draft = select_exam(ExamSpec(tasks=4, difficulties=(1,)))
    path = tmp_path / "h.db"
    with Store.open(path) as s:
        handle(s, "exam.create", {"exam": {"id": "e", "spec": {}, "reserved": draft.reserved, "dropped": {}},
                                  "tasks": draft.tasks})
        for run_id, attempts, passes, status in (("r0", 0, 1, "done"), ("r1", 30, 3, "done"), ("r2", 60, 0, "running")):
            handle(s, "exam.run.start", {"run": {"id": run_id, "exam_id": "e", "arms": [{"name": "plain"}, {"name": "loop"}],
                                                 "model": "m", "training_attempts": attempts}})
            for i, t in enumerate(draft.tasks[: 1 if status == "running" else 4]):
                for arm in ("plain", "loop"):
                    passed = arm == "plain" and i < 1 or arm == "loop" and i < passes
                    handle(s, "exam.result", {"result": {"run_id": run_id, "exam_task_id": t["id"], "arm": arm,
                                                         "arm_key": arm, "passed": passed, "tokens_in": 5}})
            if status != "running":
                handle(s, "exam.run.finish", {"run_id": run_id, "status": status})
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    data = collect(conn)
    assert [p[0] for p in data["curve"]["loop"]] == [0, 30]  # the running run is no point yet
    assert [p[1] for p in data["curve"]["loop"]] == [0.25, 0.75] and data["curve"]["plain"][1][4] == 4
    assert data["latest"]["run"] == "r1" and data["latest"]["arms"]["loop"]["passed"] == 3
    assert collect(conn, run_id="r2")["latest"]["arms"]["loop"]["n"] == 1
    assert collect(conn, run_id="nope")["latest"] is None
    assert curve_lines(data)[1] == "  plain: 0 -> 25%  30 -> 25%"
    page = html_section(data)
    assert "Learning curve" in page and page.count("<polyline") == 2 and "loop: loop - plain" in page
    assert "no exam run yet" in curve_chart({})
    assert "No exam yet" in html_section(None)
