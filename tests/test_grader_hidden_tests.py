"""Hidden-test stripping and the stderr policy, on hand-made notebooks (no kernels)."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from grader.judge.hidden_tests import REDACTED, HideHiddenTests, find_leaks, secret_lines, split_hidden
from grader.run.quiet_stderr import QuietStderr, drop_noise

HIDDEN_CELL = ("# Hidden tests run at grading time.\n### BEGIN HIDDEN TESTS\n"
               "check_square(square, hidden=True)\nx = 1\n### END HIDDEN TESTS")
SECRET = "check_square(square, hidden=True)"


def _grade_cell(source, outputs=(), points=2):
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t", "points": points, "schema_version": 3}
    return cell


def test_split_hidden_keeps_what_students_see():
    visible, hidden = split_hidden(HIDDEN_CELL)
    assert visible == "# Hidden tests run at grading time."
    assert hidden == [SECRET, "x = 1"]
    # Short lines are too common to count as leaked secrets.
    assert secret_lines([HIDDEN_CELL]) == [SECRET]


def test_find_leaks_sees_through_html_markup():
    page = ('<div><span class="n">check_square</span><span class="p">(</span>square, '
            'hidden<span class="o">=</span><span class="kc">True</span>)</div>')
    assert find_leaks(page, [SECRET]) == [SECRET]
    assert find_leaks("<p>check_square(square)</p>", [SECRET]) == []
    assert find_leaks("<p>check_square(square, hidden=&#61;True)</p>", [SECRET]) == []


@pytest.mark.parametrize("where, page", [
    ("an HTML comment", "<p>ok</p><!-- check_square(square, hidden=True) -->"),
    ("an attribute", '<div title="check_square(square, hidden&#61;True)">ok</div>'),
    ("a script", "<script>var s = 'check_square(square, hidden=True)';</script>"),
    ("notebook JSON in a script",
     '<script type="application/json">{"source": "x = 1\\ncheck_square(square, '
     'hidden\\u003dTrue)"}</script>'),
    ("a style", "<style>/* check_square(square, hidden=True) */</style>"),
    ("ANSI-coloured output", "<pre>\x1b[0;31mcheck_square\x1b[0m(square, hidden=True)</pre>"),
])
def test_find_leaks_reads_the_raw_html_not_only_the_visible_text(where, page):
    """What the student receives is the file: a secret hidden from view is still a leak."""
    assert find_leaks(page, [SECRET]) == [SECRET], where


def test_hide_hidden_tests_strips_source_traceback_and_printed_copies():
    error = new_output("error", ename="AssertionError",
                       evalue="square(x): expected 4, got 2 [MULTIPLIED-NOT-POWERED]",
                       traceback=["Traceback", f"----> 3 {SECRET}", "AssertionError: ..."])
    leak = new_output("stream", name="stdout", text=f"In history: {SECRET}\n")
    student_cell = new_code_cell("print(In)", outputs=[new_output("stream", name="stdout",
                                                                  text=f"['', '{SECRET}']\n")])
    nb = new_notebook(cells=[_grade_cell(HIDDEN_CELL, [leak, error]), student_cell])

    nb, _ = HideHiddenTests().preprocess(nb, {})
    hidden, other = nb.cells
    assert hidden.source == "# Hidden tests run at grading time."
    assert hidden.outputs[1].traceback == [
        "\x1b[0;31mAssertionError\x1b[0m: square(x): expected 4, got 2 [MULTIPLIED-NOT-POWERED]"]
    assert SECRET not in nbformat.writes(nb)
    assert REDACTED in hidden.outputs[0].text and REDACTED in other.outputs[0].text


def test_drop_noise_removes_tensorflow_and_warning_lines_only():
    text = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1795311998.084137    6248 cudart_stub.cc:31] Could not find cuda drivers.\n"
            "/x/lesson.py:3: RuntimeWarning: overflow encountered in exp\n"
            "  return 1 / (1 + np.exp(-x))\n"
            "my own debug line\n")
    assert drop_noise(text) == "my own debug line\n"


def test_quiet_stderr_keeps_points_of_a_test_that_only_wrote_to_stderr():
    noisy = new_output("stream", name="stderr",
                       text="W0000 00:00:1.0    1 port.cc:153] oneDNN custom operations are on.\ndebug\n")
    cell = _grade_cell("check_square(square)", [noisy, new_output("stream", name="stdout", text="ok\n")])
    assert determine_grade(cell) == (0, 2.0)  # what plain nbgrader would give
    nb, _ = QuietStderr().preprocess(new_notebook(cells=[cell]), {})
    (cell,) = nb.cells
    assert [(o.name, o.text) for o in cell.outputs] == [("stdout", "debug\n"), ("stdout", "ok\n")]
    assert determine_grade(cell) == (2.0, 2.0)


def test_quiet_stderr_still_fails_a_test_that_raised():
    error = new_output("error", ename="AssertionError", evalue="wrong", traceback=[])
    cell = _grade_cell("check_square(square)", [new_output("stream", name="stderr", text="x\n"), error])
    nb, _ = QuietStderr().preprocess(new_notebook(cells=[cell]), {})
    assert determine_grade(nb.cells[0]) == (0, 2.0)
