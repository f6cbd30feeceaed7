"""grader validate: one notebook, each test's verdict in the checkers' words."""
import shutil

import pytest
from fixtures.toy import HERE, TOY, toy_course

from grader.cli import main
from grader.course.build import build
from grader.course.validate import validate_notebook

pytestmark = pytest.mark.xdist_group("grader-validate")


@pytest.fixture(scope="module")
def lesson_dir(tmp_path_factory):
    """lessons/00_toy as a student has it, with submissions copied next to the lesson."""
    course = toy_course(tmp_path_factory.mktemp("validate") / "course")
    build(course)
    folder = course.release / TOY
    for name in ("submitted-known-mistake.ipynb", "submitted-modified-test-cell.ipynb",
                 "submitted-invalid-json.ipynb", "submitted-noisy-stderr.ipynb"):
        shutil.copyfile(HERE / name, folder / name)
    return folder


def test_released_lesson_fails_with_the_stub_message(lesson_dir, capsys):
    assert main(["validate", str(lesson_dir / f"{TOY}.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  test_square" in out
    assert "square(x) raised NotImplementedError" in out
    assert "....  test_square_hidden" in out and "hidden tests" in out
    assert "0 of 2 tests pass." in out


def test_known_mistake_is_named_and_others_pass(lesson_dir):
    result = validate_notebook(lesson_dir / "submitted-known-mistake.ipynb")
    verdicts = {t.grade_id: t for t in result.tests}
    assert list(verdicts) == ["test_square", "test_cube"] and not result.ok
    assert not verdicts["test_square"].passed
    assert verdicts["test_square"].message.startswith("square(x): expected [1. 4. 9.], got [2. 4. 6.]")
    assert "[MULTIPLIED-NOT-POWERED]" in verdicts["test_square"].message
    assert verdicts["test_cube"].passed and verdicts["test_cube"].message == "\u2714 cube: 1 visible case(s) passed"
    assert result.hidden == ["test_square_hidden", "test_cube_hidden"]
    text = result.text()
    assert text.index("test_square ") < text.index("test_square_hidden") < text.index("test_cube ")


def test_noise_on_stderr_does_not_fail_a_correct_answer(lesson_dir):
    assert validate_notebook(lesson_dir / "submitted-noisy-stderr.ipynb").ok


def test_edited_test_cell_is_pointed_out(lesson_dir):
    result = validate_notebook(lesson_dir / "submitted-modified-test-cell.ipynb")
    assert result.edited_locked == ["test_cube"]
    assert "read-only cell 'test_cube' was edited" in result.text()


def test_unreadable_notebook(lesson_dir, capsys):
    assert main(["validate", str(lesson_dir / "submitted-invalid-json.ipynb")]) == 2
    assert "cannot run this notebook: NotJSONError" in capsys.readouterr().out
