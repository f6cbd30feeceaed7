"""check_rnn_param_count: right counts pass for every cell and both reset_after
values; every known miscount is named by its id (a forgotten bias or GRU bias
row is MISSING-BIAS); odd return values get a plain explanation.
"""
import pytest
import student_variants as sv
from check_helpers import fails_with, flat

from course_utils.checks import check_rnn_param_count, variants
from course_utils.checks import params as params_checks
from course_utils.checks.misconceptions import ID_PATTERN
from course_utils.weights import rnn_param_count

MODES = pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
NAME = "rnn_param_count"


@MODES
@pytest.mark.parametrize("label", sv.CORRECT[NAME])
def test_right_answer_passes_with_one_line_and_no_stderr(label, hidden, capfd):
    check_rnn_param_count(sv.load(sv.CORRECT[NAME][label], NAME), hidden=hidden)
    out, err = capfd.readouterr()
    assert err == "" and out.startswith("\u2714") and out.count("\n") == 1


_BLOCKS = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def _rows(cell, reset_after):
    return 2 if cell == "gru" and reset_after else 1


def no_bias(cell, input_dim, units, reset_after=True):
    return _BLOCKS[cell] * (input_dim * units + units * units)


def one_gru_bias_row(cell, input_dim, units, reset_after=True):
    return _BLOCKS[cell] * (input_dim * units + units * units + units)


def two_bias_rows_for_every_gru(cell, input_dim, units, reset_after=True):
    rows = 2 if cell == "gru" else 1
    return _BLOCKS[cell] * (input_dim * units + units * units + rows * units)


def two_bias_rows_for_every_cell(cell, input_dim, units, reset_after=True):
    return _BLOCKS[cell] * (input_dim * units + units * units + 2 * units)


def one_block_for_every_cell(cell, input_dim, units, reset_after=True):
    return input_dim * units + units * units + _rows(cell, reset_after) * units


def no_recurrent_kernel(cell, input_dim, units, reset_after=True):
    return _BLOCKS[cell] * (input_dim * units + _rows(cell, reset_after) * units)


def units_squared_for_the_kernel(cell, input_dim, units, reset_after=True):
    return _BLOCKS[cell] * (2 * units * units + _rows(cell, reset_after) * units)


WRONG = {   # wrong answer: the one id its message names
    no_bias: "MISSING-BIAS",
    one_gru_bias_row: "MISSING-BIAS",
    two_bias_rows_for_every_gru: "PARAM-COUNT-EXTRA-BIAS-ROW",
    two_bias_rows_for_every_cell: "PARAM-COUNT-EXTRA-BIAS-ROW",
    one_block_for_every_cell: "PARAM-COUNT-ONE-BLOCK",
    no_recurrent_kernel: "PARAM-COUNT-NO-RECURRENT",
    units_squared_for_the_kernel: "PARAM-COUNT-KERNEL-SIZE",
}


@MODES
@pytest.mark.parametrize("fn", list(WRONG), ids=lambda f: f.__name__)
def test_wrong_answer_is_named_by_exactly_its_id(fn, hidden):
    message = fails_with(check_rnn_param_count, fn, "expected", "got",
                         f"({'hidden' if hidden else 'visible'} case)",
                         "Reread: 06_keras_rnns, 'Counting parameters by hand'", hidden=hidden)
    assert ID_PATTERN.findall(message) == [WRONG[fn]]
    assert message.startswith("rnn_param_count('")          # where: the call that failed


def test_an_unknown_miscount_explains_the_formula_without_an_id():
    def off_by_one(cell, input_dim, units, reset_after=True):
        return rnn_param_count(cell, input_dim, units, reset_after) + 1
    message = fails_with(check_rnn_param_count, off_by_one, "(+1)", "Count per block")
    assert not ID_PATTERN.findall(message)


def test_forgotten_second_gru_bias_row_is_explained():
    message = fails_with(check_rnn_param_count, one_gru_bias_row)
    assert message.startswith("rnn_param_count('gru', input_dim=2, units=4, reset_after=True)")
    assert "[MISSING-BIAS]" in message and "only one bias row" in message


def test_every_cell_and_both_reset_after_values_are_checked():
    for cases in params_checks._CASES.values():
        assert {c.cell for c in cases} == {"simple_rnn", "gru", "lstm"}
        assert {c.reset_after for c in cases if c.cell == "gru"} >= {True, False}
    hidden = params_checks._CASES["hidden"]
    assert len({(c.input_dim, c.units) for c in hidden}) >= 4
    assert any(c.cell == "gru" and c.reset_after is None for c in hidden)  # the default flag


def test_first_case_of_each_mode_tells_the_slips_apart():
    for cases in params_checks._CASES.values():
        counts = [count for _, count in cases[0].slips]
        assert len(set(counts)) == len(counts)


@pytest.mark.parametrize("cell", ["simple_rnn", "gru", "lstm"])
@pytest.mark.parametrize("reset_after", [True, False])
def test_variants_right_count_equals_the_reference(cell, reset_after):
    for input_dim, units in ((1, 1), (3, 7), (64, 32)):
        assert variants.param_count(cell, input_dim, units, reset_after) == \
            rnn_param_count(cell, input_dim, units, reset_after)


@pytest.mark.parametrize("returned, words", [
    (None, "returned None. Did you forget `return`?"),
    ("84", "should return a whole number, got str '84'"),
    (62.5, "should return a whole number (a count of parameters), got 62.5"),
])
def test_odd_return_values_are_explained(returned, words):
    with pytest.raises(AssertionError) as info:
        check_rnn_param_count(lambda cell, input_dim, units, reset_after=True: returned)
    assert words in flat(str(info.value))


def test_a_signature_without_reset_after_gets_a_friendly_message():
    def without_flag(cell, input_dim, units):
        return rnn_param_count(cell, input_dim, units)

    with pytest.raises(AssertionError) as info:
        check_rnn_param_count(without_flag)
    message = flat(str(info.value))
    assert "rnn_param_count raised TypeError" in message
    assert "unexpected keyword argument 'reset_after'" in message
