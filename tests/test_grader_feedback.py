"""grader feedback: one HTML page per student, and never a line of hidden test."""
import html

import nbformat
import pytest
from fixtures.toy import TOY, fixture_student, hand_in, hand_in_synthetic, toy_course

import grader.results.feedback
from grader.autograde import autograde
from grader.cli import main
from grader.judge.hidden_tests import find_leaks, html_text
from grader.results.feedback import feedback_config as real_feedback_config
from grader.results.feedback import generate_feedback, hidden_secrets

pytestmark = pytest.mark.xdist_group("grader-feedback")

FIXTURES = ["submitted-leaks-hidden-test.ipynb", "submitted-known-mistake.ipynb",
            "submitted-invalid-json.ipynb"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = toy_course(tmp_path_factory.mktemp("feedback") / "course")
    for fixture in FIXTURES:
        hand_in(course, fixture_student(fixture), fixture)
    hand_in_synthetic(course, "perfect", perfect=True)
    autograde(course, TOY, jobs=2, progress=False)
    return course


@pytest.fixture(scope="module")
def pages(course):
    result = generate_feedback(course, TOY)
    assert not result.leaks and not result.errors
    return {p.parent.parent.name: p.read_text() for p in result.written}


def test_every_student_gets_one_html_page(course, pages):
    assert sorted(pages) == course.students()
    for student in pages:
        files = [p.name for p in (course.feedback / student / TOY).iterdir()]
        assert files == [f"{TOY}.html"]  # not toy_checks.py or other lesson files


def test_feedback_never_contains_hidden_test_text(course, pages):
    secrets = hidden_secrets(course, TOY)
    assert "check_square(square, hidden=True)  # toy secret: random shapes and signs" in secrets
    # The autograded notebooks do hold the hidden tests: the test is not vacuous.
    assert "toy secret" in course.autograded_notebook("perfect", TOY).read_text()
    for student, page in pages.items():   # the raw file the student receives, every byte
        assert find_leaks(page, secrets) == [], f"{student}'s feedback holds hidden test text"
        assert "toy secret" not in page and "hidden=True" not in html.unescape(page)


def test_a_submission_that_prints_the_hidden_tests_never_sees_them(course, pages):
    """cube() prints the call stack and IPython's input history when it is called. Hidden
    test cells are judged in the grader's process, so the kernel never holds their source:
    nothing of them reaches the autograded notebook, let alone the feedback page."""
    text = html_text(pages["leaks-hidden-test"])
    assert "Score: 2.0 / 2.0" in text  # still full marks: printing is not cheating the tests
    graded = nbformat.read(str(course.autograded_notebook("leaks-hidden-test", TOY)), as_version=4)
    printed = "".join(o.get("text", "") + o.get("evalue", "")
                      for cell in graded.cells for o in cell.get("outputs", []))
    for secret in hidden_secrets(course, TOY):  # run in the kernel, the test cell would be in `In`
        assert secret not in printed
    assert find_leaks(pages["leaks-hidden-test"], hidden_secrets(course, TOY)) == []


def test_failing_hidden_test_shows_only_the_checker_message(pages):
    text = html_text(pages["known-mistake"])
    hidden_part = text[text.index("Grade cell: test_square_hidden"):text.index("Exercise: cube(x)")]
    assert "AssertionError: square(x): expected" in hidden_part
    assert "[MULTIPLIED-NOT-POWERED]" in hidden_part
    assert "Traceback" not in hidden_part and "toy_checks.py" not in hidden_part
    assert "# Hidden tests run at grading time." in hidden_part


def test_ungraded_submission_gets_a_short_explanation(pages):
    text = html_text(pages["invalid-json"])
    assert "could not be opened as a notebook" in text and "Score: 0" in text


def test_a_page_that_still_leaks_is_removed(course, monkeypatch, capsys):
    # Break the pipeline on purpose: render without HideHiddenTests.
    def leaky_config(*args, **kwargs):
        config = real_feedback_config(*args, **kwargs)
        config.GenerateFeedback.preprocessors = [
            p for p in config.GenerateFeedback.preprocessors if p.__name__ != "HideHiddenTests"]
        return config

    monkeypatch.setattr(grader.results.feedback, "feedback_config", leaky_config)
    result = generate_feedback(course, TOY, ["perfect"])
    assert list(result.leaks) == ["perfect"] and not result.written
    assert not course.feedback_html("perfect", TOY).exists()
    monkeypatch.undo()

    assert main(["feedback", TOY, "--course-dir", str(course.root), "--student", "perfect"]) == 0
    assert "wrote 1 feedback page" in capsys.readouterr().out
    assert course.feedback_html("perfect", TOY).exists()
