"""grader build / check: lessons/ generated from solutions/, deterministic, and checked for drift."""
import nbformat
import pytest
from fixtures.toy import TOY, toy_course

from grader.cli import main
from grader.course.build import MARKER_KEY, build, check

pytestmark = pytest.mark.xdist_group("grader-build")


@pytest.fixture
def course(tmp_path):
    return toy_course(tmp_path / "course")


def test_build_writes_student_version_with_lesson_files(course):
    (written,) = build(course)
    assert written == course.release_notebook(TOY)
    text = written.read_text()
    for secret in ("### BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "toy secret", "return x * x"):
        assert secret not in text
    nb = nbformat.read(str(written), as_version=4)
    stubs = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs and all("raise NotImplementedError" in s for s in stubs)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "DO NOT EDIT" in nb.metadata[MARKER_KEY]["warning"]
    assert nb.metadata[MARKER_KEY]["generated_from"] == f"solutions/{TOY}/{TOY}.ipynb"
    # The lesson's other files ship with it; building needs no gradebook.
    assert (course.release / TOY / "toy_checks.py").read_bytes() == \
        (course.source / TOY / "toy_checks.py").read_bytes()
    assert not course.gradebook.exists()


def test_build_is_deterministic(course):
    build(course)
    first = {p.name: p.read_bytes() for p in (course.release / TOY).iterdir()}
    build(course)
    second = {p.name: p.read_bytes() for p in (course.release / TOY).iterdir()}
    assert first == second


def test_check_passes_when_in_sync(course, capsys):
    build(course)
    report = check(course)
    assert report.in_sync and report.checked == [TOY]
    assert main(["check", "--course-dir", str(course.root)]) == 0
    assert "in sync" in capsys.readouterr().out


def test_check_fails_on_stale_lesson_with_a_readable_diff(course, capsys):
    build(course)
    solution = course.source_notebook(TOY)
    nb = nbformat.read(str(solution), as_version=4)
    test_cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "test_square")
    test_cell.source = test_cell.source.replace("small readable case", "tiny case")
    nbformat.write(nb, str(solution))

    report = check(course)
    assert not report.in_sync
    assert report.problems == [f"lessons/{TOY}/{TOY}.ipynb is stale"]
    assert '-"""Check square on a small readable case."""' in report.diff
    assert '+"""Check square on a tiny case."""' in report.diff
    assert "# ---- cell 4 [code] test_square" in report.diff  # says which cell

    assert main(["check", "--course-dir", str(course.root)]) == 1
    out = capsys.readouterr().out
    assert "tiny case" in out and "python -m grader build" in out
    # check never writes into lessons/
    assert "small readable case" in course.release_notebook(TOY).read_text()


def test_check_reports_missing_and_unexpected_files(course):
    build(course)
    (course.release / TOY / "toy_checks.py").unlink()
    (course.release / TOY / "notes.txt").write_text("hand-made\n")
    (course.release / "99_orphan").mkdir()
    problems = check(course).problems
    assert f"lessons/{TOY}/toy_checks.py is missing" in problems
    assert f"lessons/{TOY}/notes.txt is not generated from solutions/" in problems
    assert "lessons/99_orphan/ has no solutions/99_orphan/" in problems


def test_full_build_removes_lessons_whose_solution_is_gone(course):
    build(course)
    orphan = course.release / "98_removed"
    orphan.mkdir()
    (orphan / "98_removed.ipynb").write_text(course.release_notebook(TOY).read_text())  # carries the marker
    hand_made = course.release / "README.md"
    hand_made.write_text("not a lesson\n")
    build(course)
    assert not orphan.exists()
    assert hand_made.exists()


@pytest.mark.parametrize("source, problem", [
    ("assert square(2.0) == 4.0", "is not only checker calls"),
    ("check_quartic(square)", "calls check_quartic, which no locked setup cell imports"),
])
def test_check_fails_on_a_test_cell_the_judge_cannot_run(course, source, problem):
    """Scores come from the judge, outside the kernel: every test cell must be something it runs."""
    path = course.source_notebook(TOY)
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_square")
    cell.source = source
    nbformat.write(nb, str(path))
    build(course)
    report = check(course)
    assert not report.in_sync
    assert any(problem in p and "test_square" in p for p in report.problems), report.problems
