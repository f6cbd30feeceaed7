"""A failing check shows its message and nothing of the checkers' internals.

Three places where a student reads a failure: the text of the message itself
(wrapped at ``MESSAGE_WIDTH`` characters, between words), the traceback of a test
cell in the notebook (IPython), and nbgrader's Validate dialog (nbgrader's own
``Validator``, which prints the cell's traceback).
"""
import html
import re

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.checks._core import MESSAGE_WIDTH, CheckFailed, checker, wrap_message

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG = ("h_seq for visible case 1 (batch=2, T=4, input_dim=3, units=3, small hand-sized "
        "numbers, non-zero h0): values differ from the expected ones in 24 of 24 entries, "
        "and this_identifier_is_far_too_long_to_break_anywhere_so_it_stays_whole.")
WRONG_SEQUENCE = '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    return np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
'''
WRONG_MODEL = '''
import keras
def build_stacked_model(input_dim, units):
    return keras.Sequential([keras.Input((None, input_dim)), keras.layers.LSTM(units),
                             keras.layers.GRU(units), keras.layers.Dense(1)])
'''


def test_lines_are_wrapped_between_words_and_keep_their_indent():
    text = wrap_message(LONG + "\n    " + LONG)
    lines = text.splitlines()
    assert len(lines) > 3
    assert len("AssertionError: " + lines[0]) <= MESSAGE_WIDTH
    assert all(len(line) <= MESSAGE_WIDTH for line in lines
               if "this_identifier" not in line)          # a word longer than a line stays whole
    assert " ".join(text.split()) == " ".join((LONG + " " + LONG).split())   # no word cut
    second = lines.index(next(line for line in lines if line.startswith("    h_seq")))
    assert all(line.startswith("    ") for line in lines[second:])


def test_a_short_message_is_left_alone():
    assert wrap_message("short\n  indented") == "short\n  indented"


def test_the_checker_wrapper_raises_check_failed_with_the_wrapped_message():
    @checker
    def check_something(fn):
        raise AssertionError(LONG)

    with pytest.raises(CheckFailed) as info:
        check_something(None)
    assert str(info.value) == wrap_message(LONG)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert ANSI.sub("", info.value._render_traceback_()[0]) == "CheckFailed: " + wrap_message(LONG)


def _notebook(*sources, grade_ids=()):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for n, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if n in grade_ids:
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"test_{n}", "points": 1,
                                         "solution": False, "locked": True, "schema_version": 3}
        nb.cells.append(cell)
    return nb


def _assert_message_only(text, words):
    text = html.unescape(re.sub(r"<[^>]+>", "", ANSI.sub("", text)))   # Validate gives HTML
    assert words in " ".join(text.split()), text
    for internal in ("_core.py", "course_utils/checks", "wrapper", "Traceback (most recent"):
        assert internal not in text, f"{internal!r} shown to the student:\n{text}"
    assert all(len(line) <= MESSAGE_WIDTH for line in text.splitlines()), text


@pytest.mark.xdist_group("kernel-messages")
def test_a_failing_test_cell_shows_only_the_message_in_the_notebook(keras):
    nb = _notebook("import numpy as np\nfrom course_utils.checks import check_rnn_forward, "
                   "check_build_stacked_model",
                   WRONG_SEQUENCE, "check_rnn_forward(rnn_forward)",
                   WRONG_MODEL, "check_build_stacked_model(build_stacked_model)")
    NotebookClient(nb, timeout=300, allow_errors=True).execute()
    for cell, words in ((nb.cells[2], "values differ from the expected ones"),
                        (nb.cells[4], "build_stacked_model")):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1 and errors[0].ename == "CheckFailed"
        _assert_message_only("\n".join(errors[0].traceback), words)


@pytest.mark.xdist_group("kernel-messages")
def test_nbgraders_validate_dialog_shows_only_the_message(tmp_path):
    from nbgrader.validator import Validator

    path = tmp_path / "lesson.ipynb"
    nbformat.write(_notebook("import numpy as np\nfrom course_utils.checks import check_rnn_forward",
                             WRONG_SEQUENCE, "check_rnn_forward(rnn_forward)", grade_ids={2}), path)
    result = Validator().validate(str(path))
    assert list(result) == ["failed"] and len(result["failed"]) == 1
    _assert_message_only(result["failed"][0]["error"], "values differ from the expected ones")
