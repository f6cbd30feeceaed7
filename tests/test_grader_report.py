"""grader report: histogram, pass rates and misconception counts, from grading records (no kernels)."""
import csv
import json

import pytest
from fixtures.toy import TOY, toy_course

from grader.cli import main
from grader.gradebook.records import Record, save_record
from grader.results.report import ReportError, build_report, write_report

pytestmark = pytest.mark.xdist_group("grader-report")

TESTS = ["test_square", "test_square_hidden", "test_cube", "test_cube_hidden"]
POINTS = {"test_square": 1, "test_square_hidden": 2, "test_cube": 1, "test_cube_hidden": 2}


def _record(student, passed, misconceptions=None, flags=()):
    """A record whose tests in ``passed`` passed; ``misconceptions``: grade_id -> ids."""
    misconceptions = misconceptions or {}
    tests = [{"grade_id": g, "max_points": POINTS[g], "points": POINTS[g] if g in passed else 0,
              "passed": g in passed, "hidden": g.endswith("_hidden"),
              "message": " ".join(f"[{m}]" for m in misconceptions.get(g, [])),
              "misconceptions": misconceptions.get(g, []), "timed_out": False} for g in TESTS]
    return Record(student, TOY, score=sum(t["points"] for t in tests), max_score=6,
                  tests=tests, flags=list(flags),
                  misconceptions=sorted({m for ids in misconceptions.values() for m in ids}))


@pytest.fixture
def course(tmp_path):
    course = toy_course(tmp_path / "course")
    both = {"test_square": ["STATE-NOT-CARRIED"], "test_square_hidden": ["STATE-NOT-CARRIED"]}
    for record in [
        _record("ada", TESTS),
        _record("bob", ["test_cube", "test_cube_hidden"], both),  # one id, two tests: counts once
        _record("cyd", ["test_square"], {"test_cube": ["MISSING-BIAS"], "test_cube_hidden": ["MISSING-BIAS"],
                                         "test_square_hidden": ["STATE-NOT-CARRIED"]}),
        _record("dee", [], flags=["kernel-died"]),
        Record("eve", TOY, max_score=6, flags=["missing"]),
    ]:
        save_record(course, record)
    return course


def test_pass_rates_and_misconceptions(course):
    report = build_report(course, TOY)
    assert report.submitted == 4 and report.missing == ["eve"]
    assert report.scores == {"ada": 6, "bob": 3, "cyd": 1, "dee": 0}
    rates = {t.grade_id: (t.passed, t.graded) for t in report.tests}
    assert rates == {"test_square": (2, 4), "test_square_hidden": (1, 4),
                     "test_cube": (2, 4), "test_cube_hidden": (2, 4)}
    ids = {m.id: sorted(m.students) for m in report.misconceptions}
    assert ids == {"STATE-NOT-CARRIED": ["bob", "cyd"], "MISSING-BIAS": ["cyd"]}
    assert [m.id for m in report.misconceptions] == ["STATE-NOT-CARRIED", "MISSING-BIAS"]  # most common first
    assert "previous step's state" in report.misconceptions[0].explanation  # from course_utils
    assert report.flags["kernel-died"] == 1 and report.flags["missing"] == 1


def test_report_files_and_table(course, capsys):
    assert main(["report", TOY, "--course-dir", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "test_square_hidden" in out and "1/4" in out and "25%" in out
    assert "STATE-NOT-CARRIED" in out and "50%" in out

    folder = course.reports / TOY
    png = (folder / "score_histogram.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    with open(folder / "misconceptions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["id"], r["students"]) for r in rows] == [("STATE-NOT-CARRIED", "2"), ("MISSING-BIAS", "1")]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["missing"] == ["eve"] and summary["scores"]["ada"] == 6
    assert "![score histogram](score_histogram.png)" in (folder / "summary.md").read_text()


def test_report_before_grading_says_what_to_do(tmp_path):
    course = toy_course(tmp_path / "course")
    with pytest.raises(ReportError, match="autograde 00_toy"):
        write_report(course, TOY)
