"""check_rnn_param_count: right counts pass for every cell and both reset_after
values; a forgotten bias (or GRU bias row) is named MISSING-BIAS; other
miscounts and odd return values get a plain explanation.
"""
import pytest
import student_variants as sv
from student_variants import MISTAKE_ID

from course_utils.checks import check_rnn_param_count
from course_utils.checks import params as params_checks
from course_utils.checks import variants
from course_utils.weights import rnn_param_count
from check_helpers import flat

MODES = pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
NAME = "rnn_param_count"


@MODES
@pytest.mark.parametrize("label", sv.CORRECT[NAME])
def test_right_answer_passes_with_one_line_and_no_stderr(label, hidden, capfd):
    check_rnn_param_count(sv.load(sv.CORRECT[NAME][label], NAME), hidden=hidden)
    out, err = capfd.readouterr()
    assert err == "" and out.startswith("\u2714") and out.count("\n") == 1


@MODES
@pytest.mark.parametrize("label", sv.WRONG[NAME])
def test_wrong_answer_is_named_by_exactly_its_id(label, hidden):
    expected_id, source = sv.WRONG[NAME][label]
    with pytest.raises(AssertionError) as info:
        check_rnn_param_count(sv.load(source, NAME), hidden=hidden)
    message = flat(str(info.value))
    assert MISTAKE_ID.findall(message) == ([expected_id] if expected_id else [])
    assert message.startswith("rnn_param_count('")          # where: the call that failed
    assert "expected" in message and "got" in message
    assert f"({'hidden' if hidden else 'visible'} case)" in message


def test_forgotten_second_gru_bias_row_is_explained():
    source = sv.WRONG[NAME]["one_gru_bias_row"][1]
    with pytest.raises(AssertionError) as info:
        check_rnn_param_count(sv.load(source, NAME))
    message = flat(str(info.value))
    assert message.startswith("rnn_param_count('gru', input_dim=2, units=4, reset_after=True)")
    assert "[MISSING-BIAS]" in message and "only one bias row" in message


def test_every_cell_and_both_reset_after_values_are_checked():
    for mode, cases in params_checks._CASES.items():
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
