"""Synthetic submissions (grader.course.synthesize) and the scenario fixtures made from them."""
import nbformat
import pytest
from fixtures import make_submissions
from fixtures.toy import HERE, TOY, toy_course

from grader.course.synthesize import solution_sources, student_notebook, write_submission

pytestmark = pytest.mark.xdist_group("grader-synthesize")


@pytest.fixture
def course(tmp_path):
    return toy_course(tmp_path / "course")


def _sources(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata}


def test_perfect_student_has_the_solution_code_without_markers(course):
    cells = _sources(student_notebook(course, TOY, perfect=True))
    assert cells["square"] == 'def square(x):\n    """Elementwise square of an array x of any shape."""\n    return x * x'
    assert "### BEGIN SOLUTION" not in "".join(cells.values())
    # Test cells are the released ones: no hidden tests inside.
    assert cells["test_square_hidden"] == "# Hidden tests run at grading time."


def test_untouched_student_is_the_released_lesson(course):
    cells = _sources(student_notebook(course, TOY))
    assert "raise NotImplementedError" in cells["square"]
    assert set(solution_sources(course, TOY)) == {"square", "cube"}


def test_answers_replace_cells_by_grade_id(course):
    cells = _sources(student_notebook(course, TOY, {"cube": "def cube(x):\n    return 3 * x"}, perfect=True))
    assert cells["cube"] == "def cube(x):\n    return 3 * x" and "return x * x" in cells["square"]
    with pytest.raises(KeyError, match="no cell with grade_id sqaure; its cells are: "):
        student_notebook(course, TOY, {"sqaure": "typo"})


def test_write_submission_lays_out_submitted(course):
    path = write_submission(course, "ada", TOY, student_notebook(course, TOY), timestamp="2025-01-02 10:00:00 UTC")
    assert path == course.submitted / "ada" / TOY / f"{TOY}.ipynb"
    assert (path.parent / "timestamp.txt").read_text().strip() == "2025-01-02 10:00:00 UTC"
    nbformat.validate(nbformat.read(str(path), as_version=4))


def test_scenario_fixtures_are_up_to_date(course):
    """Edit the toy? Run `python tests/fixtures/make_submissions.py`."""
    rendered = make_submissions.render(course)
    assert sorted(rendered) == sorted(make_submissions.EXPECTED)
    for name, text in rendered.items():
        assert (HERE / name).read_text() == text, f"tests/fixtures/{name} is stale"
