"""grader export: the grades CSV, built from a real gradebook and grading records (no kernels)."""
import csv

import pytest
from fixtures.toy import TOY, toy_course

from grader.cli import main
from grader.gradebook.gradebook import gradebook, sync_assignment
from grader.gradebook.records import Record, save_record
from grader.results.export import HEADER, export_grades

pytestmark = pytest.mark.xdist_group("grader-export")


def _grade(course, student, scores, flags=()):
    """What autograde leaves behind: gradebook scores and a record."""
    with gradebook(course.db_url) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(TOY, student)
        for grade_id, points in scores.items():
            gb.find_grade(grade_id, TOY, TOY, student).auto_score = points
        gb.db.commit()
    save_record(course, Record(student, TOY, score=sum(scores.values()), max_score=6,
                               flags=list(flags)))


@pytest.fixture
def course(tmp_path):
    course = toy_course(tmp_path / "course")
    sync_assignment(course, TOY, tmp_path / "release")
    _grade(course, "ada", {"test_square": 1, "test_square_hidden": 2, "test_cube": 1, "test_cube_hidden": 2})
    _grade(course, "bob", {"test_square": 1, "test_square_hidden": 2}, flags=["timeout"])
    _grade(course, "cyd", {}, flags=["modified-tests", "kernel-died"])
    (course.submitted / "dee").mkdir(parents=True)  # handed in nothing, never graded
    return course


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_header_and_one_row_per_student_and_assignment(course):
    path, count = export_grades(course)
    assert path == course.root / "grades.csv"
    rows = _rows(path)
    assert rows[0] == HEADER == ["student", "assignment", "score", "max_score", "flags"]
    assert rows[1:] == [
        ["ada", TOY, "6", "6", ""],
        ["bob", TOY, "3", "6", "timeout"],
        ["cyd", TOY, "0", "6", "modified-tests;kernel-died"],
        ["dee", TOY, "0", "6", "missing"],
    ]
    assert count == 4


def test_manual_scores_from_formgrader_win(course, tmp_path):
    with gradebook(course.db_url) as gb:
        gb.find_grade("test_cube", TOY, TOY, "bob").manual_score = 1
        gb.db.commit()
    path, _ = export_grades(course, tmp_path / "out" / "grades.csv")
    assert ["bob", TOY, "4", "6", "timeout"] in _rows(path)


def test_cli_export_to_a_chosen_file(course, tmp_path, capsys):
    out = tmp_path / "class.csv"
    assert main(["export", "--course-dir", str(course.root), "--out", str(out)]) == 0
    assert "wrote 4 row(s)" in capsys.readouterr().out
    assert _rows(out)[0] == HEADER


def test_canvas_and_moodle_shapes(course, tmp_path):
    """One row per student, one column per lesson; names and e-mails from the gradebook."""
    with gradebook(course.db_url) as gb:
        gb.update_or_create_student("ada", first_name="Ada", last_name="Lovelace", email="ada@example.org")
    canvas, students = export_grades(course, tmp_path / "canvas.csv", fmt="canvas")
    assert students == 4
    assert _rows(canvas) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TOY],
        ["Points Possible", "", "", "", "", "6"],
        ["Lovelace, Ada", "ada", "", "", "", "6"],
        ["bob", "bob", "", "", "", "3"],
        ["cyd", "cyd", "", "", "", "0"],
        ["dee", "dee", "", "", "", "0"],
    ]
    moodle, _ = export_grades(course, tmp_path / "moodle.csv", fmt="moodle")
    assert _rows(moodle) == [
        ["ID number", "Email address", "Full name", TOY],
        ["ada", "ada@example.org", "Lovelace, Ada", "6"],
        ["bob", "", "", "3"],
        ["cyd", "", "", "0"],
        ["dee", "", "", "0"],
    ]
    with pytest.raises(KeyError, match="unknown export format"):
        export_grades(course, tmp_path / "x.csv", fmt="blackboard")
