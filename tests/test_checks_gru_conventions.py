"""check_flip_update_convention: every correct answer passes quietly; known mistakes are named."""
import time

import numpy as np
import pytest
from check_helpers import fails_with, flat

from course_utils.checks import check_flip_update_convention


# ------------------------------------------------------------ correct answers
def flip_with_copies(kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]
    kernel, recurrent_kernel, bias = kernel.copy(), recurrent_kernel.copy(), bias.copy()
    kernel[:, :units] *= -1
    recurrent_kernel[:, :units] *= -1
    if reset_after:
        bias[:, :units] *= -1
    else:
        bias[:units] *= -1
    return kernel, recurrent_kernel, bias


def flip_in_place_and_return(kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]
    for weight in (kernel, recurrent_kernel, bias):
        weight[..., :units] = -weight[..., :units]
    return kernel, recurrent_kernel, bias


def flip_by_concatenation_in_float64(kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]

    def flip(w):
        w = np.asarray(w, dtype=np.float64)
        return np.concatenate([-w[..., :units], w[..., units:]], axis=-1)
    return [flip(kernel), flip(recurrent_kernel), flip(bias)]


def flip_with_a_sign_vector(kernel, recurrent_kernel, bias, reset_after=True):
    units = recurrent_kernel.shape[0]
    sign = np.concatenate([-np.ones(units), np.ones(2 * units)])
    return kernel * sign, recurrent_kernel * sign, bias * sign


CORRECT = [flip_with_copies, flip_by_concatenation_in_float64, flip_with_a_sign_vector]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", CORRECT, ids=lambda f: f.__name__)
def test_correct_answers_pass_with_one_line_and_nothing_on_stderr(fn, hidden, capfd):
    check_flip_update_convention(fn, hidden=hidden)
    out, err = capfd.readouterr()
    assert err == ""
    assert out.count("\n") == 1 and out.startswith("\u2714 flip_update_convention")


def test_checker_is_fast():
    start = time.perf_counter()
    check_flip_update_convention(flip_with_copies, hidden=True)
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------- known mistakes
def _units(recurrent_kernel):
    return recurrent_kernel.shape[0]


def forgot_the_bias(kernel, recurrent_kernel, bias, reset_after=True):
    k, u, _ = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
    return k, u, bias


def flipped_only_the_input_bias_row(kernel, recurrent_kernel, bias, reset_after=True):
    k, u, b = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
    if reset_after:
        b[1] = bias[1]
    return k, u, b


def flipped_only_the_recurrent_bias_row(kernel, recurrent_kernel, bias, reset_after=True):
    k, u, b = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
    if reset_after:
        b[0] = bias[0]
    return k, u, b


def negated_everything(kernel, recurrent_kernel, bias, reset_after=True):
    return -kernel, -recurrent_kernel, -bias


def negated_the_reset_block(kernel, recurrent_kernel, bias, reset_after=True):
    n = _units(recurrent_kernel)
    out = [w.copy() for w in (kernel, recurrent_kernel, bias)]
    for w in out:
        w[..., n:2 * n] *= -1
    return tuple(out)


def negated_the_candidate_block(kernel, recurrent_kernel, bias, reset_after=True):
    n = _units(recurrent_kernel)
    out = [w.copy() for w in (kernel, recurrent_kernel, bias)]
    for w in out:
        w[..., 2 * n:] *= -1
    return tuple(out)


def one_minus_the_weights(kernel, recurrent_kernel, bias, reset_after=True):
    n = _units(recurrent_kernel)
    out = [w.copy() for w in (kernel, recurrent_kernel, bias)]
    for w in out:
        w[..., :n] = 1 - w[..., :n]
    return tuple(out)


def forgot_the_recurrent_kernel(kernel, recurrent_kernel, bias, reset_after=True):
    k, _, b = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
    return k, recurrent_kernel, b


MISTAKES = {   # wrong answer: (the id the message names, words of this exercise)
    forgot_the_bias: ("GRU-FLIP-UNCHANGED", "bias came back unchanged"),
    flipped_only_the_input_bias_row: ("GRU-FLIP-ONE-BIAS-ROW",
                                      "only row 0 (the input bias) was negated"),
    flipped_only_the_recurrent_bias_row: ("GRU-FLIP-ONE-BIAS-ROW",
                                          "only row 1 (the recurrent bias) was negated"),
    negated_everything: ("GRU-FLIP-ALL-BLOCKS", "every column was negated"),
    negated_the_reset_block: ("GRU-FLIP-WRONG-BLOCK", "the reset gate's block"),
    negated_the_candidate_block: ("GRU-FLIP-WRONG-BLOCK", "the candidate's block"),
    one_minus_the_weights: ("GRU-FLIP-ONE-MINUS", "1 - w instead of -w"),
    forgot_the_recurrent_kernel: ("GRU-FLIP-UNCHANGED", "recurrent_kernel came back unchanged"),
}


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("fn", list(MISTAKES), ids=lambda f: f.__name__)
def test_each_known_mistake_is_explained(fn, hidden, capfd):
    mistake_id, words = MISTAKES[fn]
    fails_with(check_flip_update_convention, fn, f"[{mistake_id}]", words, "expected", "got",
               "index", "reset_after=", "Reread: 03_gru", hidden=hidden)
    assert capfd.readouterr().err == ""


def test_reset_after_false_mistake_is_reported_with_its_case():
    def flips_only_with_two_bias_rows(kernel, recurrent_kernel, bias, reset_after=True):
        return flip_with_copies(kernel, recurrent_kernel, bias, True) if reset_after \
            else (kernel, recurrent_kernel, bias)
    fails_with(check_flip_update_convention, flips_only_with_two_bias_rows, "reset_after=False",
               "[GRU-FLIP-UNCHANGED]")


def test_indexing_rows_of_the_two_row_bias_is_explained_for_one_unit():
    def rows_not_columns(kernel, recurrent_kernel, bias, reset_after=True):
        k, u, _ = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
        b = bias.copy()
        b[:recurrent_kernel.shape[0]] *= -1  # on a (2, 3) bias this negates row 0
        return k, u, b
    fails_with(check_flip_update_convention, rows_not_columns, "[GRU-FLIP-ONE-BIAS-ROW]",
               "bias[:units] selects rows", hidden=True)


def test_unknown_mistake_still_says_expected_got_where():
    def adds_noise(kernel, recurrent_kernel, bias, reset_after=True):
        k, u, b = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
        return k + 0.01, u, b
    with pytest.raises(AssertionError) as failure:
        check_flip_update_convention(adds_noise)
    message = flat(failure.value)
    assert "kernel returned by flip_update_convention" in message
    assert "Largest difference at index" in message and "Reread" not in message


# ------------------------------------------------------ what came back is wrong
def test_stub_gets_a_friendly_message():
    def stub(kernel, recurrent_kernel, bias, reset_after=True):
        raise NotImplementedError()
    fails_with(check_flip_update_convention, stub, "not implemented yet")


def test_in_place_without_return_is_told_to_return():
    def no_return(kernel, recurrent_kernel, bias, reset_after=True):
        flip_in_place_and_return(kernel, recurrent_kernel, bias, reset_after)
    fails_with(check_flip_update_convention, no_return, "forget `return`")


@pytest.mark.parametrize("result, words", [
    (lambda k, u, b: (k, u), "of length 2"),
    (lambda k, u, b: np.zeros(3), "got a ndarray"),
    (lambda k, u, b: (k.T, u, b), "transpose"),
    (lambda k, u, b: (u, k, b), "should have shape"),
])
def test_wrong_container_or_shape_is_described(result, words):
    def answer(kernel, recurrent_kernel, bias, reset_after=True):
        return result(kernel, recurrent_kernel, bias)
    fails_with(check_flip_update_convention, answer, words)


def test_crash_inside_student_code_is_reported_without_a_checker_traceback():
    def crashes(kernel, recurrent_kernel, bias, reset_after=True):
        return kernel @ bias, recurrent_kernel, bias
    fails_with(check_flip_update_convention, crashes, "raised ValueError")


def test_reassigning_numpy_comparisons_does_not_make_a_wrong_answer_pass(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    with pytest.raises(AssertionError):
        check_flip_update_convention(negated_everything, hidden=True)


@pytest.mark.parametrize("hidden", [False, True])
def test_flipping_the_inputs_in_place_is_named(hidden):
    """The docstring asks for new arrays: the caller still holds the original weights."""
    fails_with(check_flip_update_convention, flip_in_place_and_return, "[MODIFIES-INPUTS]",
               "flip_update_convention changed its arguments", hidden=hidden)


def test_scribbling_on_the_inputs_after_a_right_answer_is_named():
    def destructive(kernel, recurrent_kernel, bias, reset_after=True):
        out = flip_with_copies(kernel, recurrent_kernel, bias, reset_after)
        kernel[...] = 0.0
        recurrent_kernel[...] = 0.0
        bias[...] = 0.0
        return out
    fails_with(check_flip_update_convention, destructive, "[MODIFIES-INPUTS]", hidden=True)
