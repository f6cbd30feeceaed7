"""Bad input fails early with a ValueError that names the argument, the expected and the
received shape (course_utils._shapes, shared by the three cells)."""
import re

import numpy as np
import pytest

from course_utils import gru, lstm, simple_rnn
from course_utils._shapes import to_common_float, weight_shapes
from course_utils.gated_backward import lstm_cell_backward
from course_utils.weights import random_weights

BATCH, STEPS, INPUT_DIM, UNITS = 2, 3, 3, 4


def _zeros(*shape):
    return np.zeros(shape, dtype=np.float32)


def _weights(cell, reset_after=True):
    return random_weights(cell, INPUT_DIM, UNITS, reset_after=reset_after, seed=0)


def _raises(message, call):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(message), f"got message: {info.value}"
    return str(info.value)


def test_transposed_recurrent_kernel_is_named_with_both_shapes():
    kernel, recurrent_kernel, bias = _weights("gru")
    text = _raises("recurrent_kernel must have shape (4, 12) for a GRU with 4 units, got (12, 4)",
                   lambda: gru.gru_cell_forward(_zeros(BATCH, INPUT_DIM), _zeros(BATCH, UNITS),
                                                kernel, recurrent_kernel.T, bias))
    assert "transpose" in text


def test_kernel_shape_names_input_dim_and_units():
    kernel, recurrent_kernel, bias = _weights("lstm")
    text = _raises("kernel must have shape (5, 16) for an LSTM with input_dim 5 and 4 units, got (3, 16)",
            lambda: lstm.lstm_forward(_zeros(BATCH, STEPS, 5), _zeros(BATCH, UNITS),
                                      _zeros(BATCH, UNITS), kernel, recurrent_kernel, bias))
    assert text.endswith("; input_dim is the last axis of x")


def test_state_that_disagrees_with_consistent_weights_is_blamed():
    """The weights agree on 4 units, h0 has 3: the message names h0, not the kernel."""
    _raises("h0 must have shape (2, 4) to match recurrent_kernel (4, 12) (a GRU with 4 units), "
            "got (2, 3)",
            lambda: gru.gru_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(BATCH, 3), *_weights("gru")))


def test_one_row_bias_for_reset_after_true():
    kernel, recurrent_kernel, bias = _weights("gru", reset_after=False)
    text = _raises("bias must have shape (2, 12) for a GRU with 4 units and reset_after=True "
                   "(input bias row, recurrent bias row)",
                   lambda: gru.gru_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(BATCH, UNITS),
                                           kernel, recurrent_kernel, bias, reset_after=True))
    assert text.endswith("got (12,); a 1-D bias belongs to reset_after=False")


def test_two_row_bias_for_reset_after_false():
    kernel, recurrent_kernel, bias = _weights("gru", reset_after=True)
    text = _raises("bias must have shape (12,) for a GRU with 4 units and reset_after=False",
                   lambda: gru.gru_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(BATCH, UNITS),
                                           kernel, recurrent_kernel, bias, reset_after=False))
    assert text.endswith("got (2, 12); a bias with two rows belongs to reset_after=True")


def test_simple_rnn_bias_of_wrong_length():
    kernel, recurrent_kernel, _ = _weights("simple_rnn")
    _raises("bias must have shape (4,) for a SimpleRNN with 4 units, got (3,)",
            lambda: simple_rnn.rnn_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(BATCH, UNITS),
                                           kernel, recurrent_kernel, _zeros(3)))


def test_sequence_function_given_one_step():
    _raises("x must be a 3-D array of shape (batch, time, input_dim), got shape (2, 3)",
            lambda: simple_rnn.rnn_forward(_zeros(BATCH, INPUT_DIM), _zeros(BATCH, UNITS),
                                           *_weights("simple_rnn")))


def test_step_function_given_a_sequence():
    _raises("x_t must be a 2-D array of shape (batch, input_dim), got shape (2, 3, 3)",
            lambda: simple_rnn.rnn_cell_forward(_zeros(BATCH, STEPS, INPUT_DIM),
                                                _zeros(BATCH, UNITS), *_weights("simple_rnn")))


def test_state_without_batch_axis():
    _raises("h0 must be a 2-D array of shape (batch, units), got shape (4,)",
            lambda: gru.gru_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(UNITS), *_weights("gru")))


def test_initial_state_batch_differs_from_x():
    _raises("h0 must have shape (2, 4) (batch 2 from x), got (3, 4)",
            lambda: gru.gru_forward(_zeros(BATCH, STEPS, INPUT_DIM), _zeros(3, UNITS), *_weights("gru")))


def test_lstm_cell_state_differs_from_h():
    _raises("c_prev must have shape (2, 4) (batch 2 from x_t, 4 units from h_prev), got (2, 5)",
            lambda: lstm.lstm_cell_forward(_zeros(BATCH, INPUT_DIM), _zeros(BATCH, UNITS),
                                           _zeros(BATCH, 5), *_weights("lstm")))


def test_empty_sequence():
    _raises("x must have at least one time step, got shape (2, 0, 3)",
            lambda: simple_rnn.rnn_forward(_zeros(BATCH, 0, INPUT_DIM), _zeros(BATCH, UNITS),
                                           *_weights("simple_rnn")))


def test_upstream_gradient_of_wrong_shape():
    _raises("dh_seq must have shape (2, 3, 4) (gradient of the loss w.r.t. every step's output "
            "h_seq), got (2, 4)",
            lambda: simple_rnn.rnn_backward(_zeros(BATCH, UNITS), _zeros(BATCH, STEPS, INPUT_DIM),
                                            _zeros(BATCH, UNITS), *_weights("simple_rnn")))
    _raises("dc_next must have shape (2, 4) (gradient arriving at c_next), got (2, 3, 4)",
            lambda: lstm_cell_backward(_zeros(BATCH, UNITS), _zeros(BATCH, STEPS, UNITS),
                                       _zeros(BATCH, INPUT_DIM), _zeros(BATCH, UNITS),
                                       _zeros(BATCH, UNITS), *_weights("lstm")))
    _raises("dh_next must have shape (2, 4)",
            lambda: lstm_cell_backward(_zeros(BATCH, 5), _zeros(BATCH, UNITS),
                                       _zeros(BATCH, INPUT_DIM), _zeros(BATCH, UNITS),
                                       _zeros(BATCH, UNITS), *_weights("lstm")))


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match=re.escape("x must be an array of numbers, got dtype <U1")):
        simple_rnn.rnn_forward(np.full((BATCH, STEPS, INPUT_DIM), "a"), _zeros(BATCH, UNITS),
                               *_weights("simple_rnn"))


@pytest.mark.parametrize("dtypes, expected", [
    ((np.float32, np.float32), np.float32),
    ((np.float32, np.float64), np.float64),
    ((np.int64, np.float32), np.float64),
    ((np.int64, np.int64), np.float64),
])
def test_common_float_dtype(dtypes, expected):
    a, b = to_common_float(a=np.ones(2, dtypes[0]), b=np.ones(2, dtypes[1]))
    assert a.dtype == b.dtype == expected


def test_weight_shapes_follow_keras_layout():
    assert weight_shapes("simple_rnn", 3, 4) == ((3, 4), (4, 4), (4,))
    assert weight_shapes("gru", 3, 4, reset_after=True) == ((3, 12), (4, 12), (2, 12))
    assert weight_shapes("gru", 3, 4, reset_after=False) == ((3, 12), (4, 12), (12,))
    assert weight_shapes("lstm", 3, 4) == ((3, 16), (4, 16), (16,))
