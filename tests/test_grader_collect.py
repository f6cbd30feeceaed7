"""grader collect: a platform's submissions zip filed into submitted/, then graded and exported.

The unit tests build zips of synthetic toy submissions with chosen entry times; the
last test takes one zip through collect -> autograde -> feedback -> export (long,
canvas, moodle) with the real nbgrader.
"""
import csv
import datetime
import zipfile

import nbformat
import pytest
from fixtures.toy import TOY, TOY_MAX, toy_course

from grader.cli import main
from grader.config import course_directory, nbgrader_config
from grader.course.collect import CollectError, collect
from grader.course.synthesize import student_notebook

pytestmark = pytest.mark.xdist_group("grader-collect")

EARLY, LATE, LATER = (2026, 11, 30, 9, 0, 0), (2026, 11, 30, 18, 30, 0), (2026, 12, 1, 8, 0, 0)
WRONG_CUBE = "def cube(x):\n    return x * x * 2"


@pytest.fixture
def course(tmp_path):
    return toy_course(tmp_path / "course")


def _notebook(course, answers=None, perfect=False) -> str:
    return nbformat.writes(student_notebook(course, TOY, answers, perfect=perfect))


def _zip(path, entries):
    """entries: (name, text, date_time)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, text, when in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def _timestamp(course, student):
    return course_directory(course, nbgrader_config(course)).get_existing_timestamp(
        str(course.submitted / student / TOY))


def test_canvas_names_are_filed_and_the_rest_reported(course, tmp_path):
    perfect, untouched = _notebook(course, perfect=True), _notebook(course)
    archive = _zip(tmp_path / "submissions.zip", [
        ("smithalice_101_5001_00_toy.ipynb", perfect, LATE),
        ("smithalice_101_4999_00_toy.ipynb", untouched, EARLY),    # her first try: older
        ("jonesbob_LATE_102_5002_00_toy-1.ipynb", untouched, LATE),  # Canvas renames a resubmission
        ("leecarol_103_5003_my_work.ipynb", perfect, LATE),        # not named after the lesson
        ("notes_104_5004_readme.txt", "hello", LATE),
        ("random.ipynb", perfect, LATE),
        ("__MACOSX/._smithalice_101_5001_00_toy.ipynb", "", LATE),
    ])
    result = collect(course, archive, TOY)
    filed = {(c.student, c.path.relative_to(course.submitted).as_posix()) for c in result.collected}
    assert filed == {("101", f"101/{TOY}/{TOY}.ipynb"), ("102", f"102/{TOY}/{TOY}.ipynb"),
                     ("103", f"103/{TOY}/my_work.ipynb")}
    assert course.submitted_notebook("101", TOY).read_text() == perfect  # the newer copy won
    assert result.kept == [("smithalice_101_4999_00_toy.ipynb",
                            "an older copy of smithalice_101_5001_00_toy.ipynb in the same zip")]
    assert sorted(e for e, _ in result.unmatched) == ["notes_104_5004_readme.txt", "random.ipynb"]
    assert _timestamp(course, "101") == datetime.datetime(*LATE)
    assert course.students() == ["101", "102", "103"]


def test_an_older_submission_never_replaces_a_newer_one(course, tmp_path, capsys):
    perfect, untouched = _notebook(course, perfect=True), _notebook(course)
    name = "smithalice_101_5001_00_toy.ipynb"
    collect(course, _zip(tmp_path / "first.zip", [(name, perfect, LATE)]), TOY)
    older = _zip(tmp_path / "older.zip", [(name, untouched, EARLY)])

    assert main(["collect", "--course-dir", str(course.root), str(older), TOY]) == 1
    out = capsys.readouterr().out
    assert "NOT COLLECTED smithalice_101_5001_00_toy.ipynb: 101's submission of 2026-11-30 18:30:00 " \
           "is newer than this one (2026-11-30 09:00:00; --force replaces it)" in out
    assert course.submitted_notebook("101", TOY).read_text() == perfect
    assert _timestamp(course, "101") == datetime.datetime(*LATE)

    again = collect(course, _zip(tmp_path / "again.zip", [(name, perfect, LATE)]), TOY)
    assert not again.collected and [u.student for u in again.unchanged] == ["101"]

    wrong = _notebook(course, {"cube": WRONG_CUBE})
    newer = collect(course, _zip(tmp_path / "newer.zip", [(name, wrong, LATER)]), TOY)
    assert [c.student for c in newer.collected] == ["101"]
    assert course.submitted_notebook("101", TOY).read_text() == wrong

    assert main(["collect", "--course-dir", str(course.root), str(older), TOY, "--force"]) == 0
    assert course.submitted_notebook("101", TOY).read_text() == untouched
    assert _timestamp(course, "101") == datetime.datetime(*EARLY)


def test_an_undated_existing_submission_is_kept_unless_forced(course, tmp_path):
    path = course.submitted_notebook("101", TOY)
    path.parent.mkdir(parents=True)
    path.write_text("handed in by hand")
    archive = _zip(tmp_path / "s.zip", [("smithalice_101_5001_00_toy.ipynb", _notebook(course), LATER)])
    result = collect(course, archive, TOY)
    assert not result.collected and "without timestamp.txt" in result.kept[0][1]
    assert path.read_text() == "handed in by hand"
    assert collect(course, archive, TOY, force=True).collected
    assert path.read_text() != "handed in by hand"


def test_moodle_names_and_a_custom_expression(course, tmp_path):
    text = _notebook(course)
    moodle = _zip(tmp_path / "moodle.zip", [
        ("Ada Lovelace_2001_assignsubmission_file_00_toy.ipynb", text, LATE),
        ("Alan Turing_2002_assignsubmission_file_/00_toy.ipynb", text, LATE),  # folder per student
    ])
    assert sorted(c.student for c in collect(course, moodle, TOY, regexp="moodle").collected) == \
        ["2001", "2002"]
    # nbgrader's own example (FileNameCollectorPlugin.named_regexp's help): the time in the
    # name wins over the entry's time; file_id stops before the extension.
    custom = _zip(tmp_path / "custom.zip", [("ps1_hacker_attempt_2026-12-01-10-00-00_00_toy.ipynb", text, EARLY)])
    regexp = r".*_(?P<student_id>\w+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>\w+)"
    done = collect(course, custom, TOY, regexp=regexp)
    assert [c.student for c in done.collected] == ["hacker"]
    assert course.submitted_notebook("hacker", TOY).is_file()
    assert _timestamp(course, "hacker") == datetime.datetime(2026, 12, 1, 10, 0, 0)
    with pytest.raises(CollectError, match="student_id"):
        collect(course, custom, TOY, regexp=r"(?P<file_id>.*)")
    with pytest.raises(CollectError, match="no lesson"):
        collect(course, custom, "99_nothing")


def _csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_collect_autograde_feedback_export(course, tmp_path, capsys):
    """A Canvas zip of three synthetic students through the whole instructor pipeline."""
    from grader.autograde import autograde
    from grader.results.feedback import generate_feedback

    archive = _zip(tmp_path / "canvas.zip", [
        ("smithalice_101_5001_00_toy.ipynb", _notebook(course, perfect=True), LATE),
        ("jonesbob_102_5002_00_toy.ipynb", _notebook(course, {"cube": WRONG_CUBE}, perfect=True), LATE),
        ("leecarol_103_5003_00_toy.ipynb", _notebook(course), LATE),
        ("stray.txt", "x", LATE),
    ])
    assert main(["collect", "--course-dir", str(course.root), str(archive), TOY]) == 1  # stray.txt
    assert "UNMATCHED stray.txt: not a notebook (.ipynb)" in capsys.readouterr().out

    graded = autograde(course, TOY, jobs=1, cell_timeout=30, progress=False, sandbox="none")
    scores = {r.student: r.score for r in graded.graded}
    assert scores["101"] == TOY_MAX and scores["103"] == 0 and 0 < scores["102"] < TOY_MAX
    feedback = generate_feedback(course, TOY)
    assert len(feedback.written) == 3 and not feedback.leaks and not feedback.errors

    outs = {fmt: tmp_path / f"{fmt}.csv" for fmt in ("long", "canvas", "moodle")}
    for fmt, out in outs.items():
        assert main(["export", "--course-dir", str(course.root), "--out", str(out), "--format", fmt]) == 0
    long = _csv(outs["long"])
    assert long[0] == ["student", "assignment", "score", "max_score", "flags"]
    by_student = {row[0]: row[2] for row in long[1:]}
    assert by_student == {s: f"{v:g}" for s, v in scores.items()}

    canvas = _csv(outs["canvas"])
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TOY]
    assert canvas[1] == ["Points Possible", "", "", "", "", f"{TOY_MAX:g}"]
    assert canvas[2:] == [[s, s, "", "", "", by_student[s]] for s in ("101", "102", "103")]

    moodle = _csv(outs["moodle"])
    assert moodle[0] == ["ID number", "Email address", "Full name", TOY]
    assert moodle[1:] == [[s, "", "", by_student[s]] for s in ("101", "102", "103")]


def test_entry_names_cannot_write_outside_submitted(course, tmp_path):
    """A hostile or broken zip: '..' and hidden names are refused, directories in the entry
    name never become folders, and nothing is written outside submitted/<id>/<lesson>/."""
    perfect = _notebook(course, perfect=True)
    archive = _zip(tmp_path / "hostile.zip", [
        ("x_.._5001_00_toy.ipynb", perfect, LATE),                  # student id '..'
        ("x_.hidden_5002_00_toy.ipynb", perfect, LATE),             # a hidden folder
        ("../../escape_105_5003_00_toy.ipynb", perfect, LATE),      # a path out of the zip
        ("/abs/olute_106_5004_00_toy.ipynb", perfect, LATE),
        ("y_107_5005_..ipynb", perfect, LATE),                      # file name '..ipynb'
    ])
    before = {p for p in course.root.parent.rglob("*")}
    result = collect(course, archive, TOY)
    reported = {name for name, _ in result.unmatched}
    assert {"x_.._5001_00_toy.ipynb", "x_.hidden_5002_00_toy.ipynb"} <= reported
    for c in result.collected:   # whatever was filed sits in submitted/<id>/<lesson>/
        rel = c.path.resolve().relative_to(course.submitted.resolve())
        assert len(rel.parts) == 3 and rel.parts[1] == TOY and not rel.parts[0].startswith("."), rel
    new = {p for p in course.root.parent.rglob("*")} - before
    escaped = [p for p in new if not p.resolve().is_relative_to(course.submitted.resolve())]
    assert not escaped, escaped
