"""Re-running autograde skips what is graded and unchanged; --force regrades; a fresh course works."""
import pytest
from fixtures.make_submissions import PERFECT_CUBE, PERFECT_SQUARE
from fixtures.toy import TOY, hand_in_synthetic, toy_course

from grader.autograde import autograde
from grader.cli import main
from grader.gradebook.gradebook import course_scores

pytestmark = pytest.mark.xdist_group("grader-resume")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    # A fresh clone: no gradebook, no lessons/, no autograded/.
    course = toy_course(tmp_path_factory.mktemp("resume") / "course")
    hand_in_synthetic(course, "ada", perfect=True)
    hand_in_synthetic(course, "bob", {"square": PERFECT_SQUARE})
    first = autograde(course, TOY, jobs=2, progress=False)
    assert sorted(r.student for r in first.graded) == ["ada", "bob"]
    assert course.gradebook.exists()
    return course


def test_rerun_skips_graded_students(course):
    result = autograde(course, TOY, jobs=2, progress=False)
    assert result.graded == []
    assert sorted(r.student for r in result.skipped) == ["ada", "bob"]


def test_changed_submission_is_regraded_alone(course):
    hand_in_synthetic(course, "bob", {"square": PERFECT_SQUARE, "cube": PERFECT_CUBE})
    result = autograde(course, TOY, jobs=2, progress=False)
    assert [r.student for r in result.graded] == ["bob"]
    assert result.graded[0].score == 6
    assert course_scores(course)[("bob", TOY)] == (6.0, 6.0)


def test_force_regrades(course, capsys):
    code = main(["autograde", TOY, "--course-dir", str(course.root), "--force", "--jobs", "1",
                 "--student", "ada", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 graded" in out and "ada" in out and "6/6" in out
    result = autograde(course, TOY, force=True, jobs=2, progress=False)
    assert sorted(r.student for r in result.graded) == ["ada", "bob"] and result.skipped == []
