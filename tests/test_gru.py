"""course_utils.gru reproduces keras.layers.GRU (reset_after True and False), step by step.

Also checks course_utils.activations.sigmoid, the GRU's (and LSTM's) gate function.
"""
import warnings

import keras
import numpy as np
import pytest

from course_utils.activations import sigmoid, tanh
from course_utils.gru import gru_cell_forward, gru_forward
from course_utils.weights import keras_layer, random_weights

ATOL = 1e-5  # float32 round-off over a few steps is ~1e-7

# (batch, T, input_dim, units): batch 1, a single step, one unit, input_dim != units, square.
SHAPES = [(3, 5, 4, 6), (1, 1, 3, 2), (2, 4, 1, 1), (1, 3, 5, 5), (4, 2, 6, 3)]


def _inputs(rng, batch, steps, input_dim, units, dtype=np.float32):
    x = rng.normal(size=(batch, steps, input_dim)).astype(dtype)
    h0 = rng.uniform(-0.9, 0.9, size=(batch, units)).astype(dtype)  # non-zero initial state
    return x, h0


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset_after", "reset_before"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}_T{}_in{}_u{}".format(*s))
def test_forward_matches_keras_at_every_step(rng, shape, reset_after):
    batch, steps, input_dim, units = shape
    x, h0 = _inputs(rng, *shape)
    weights = random_weights("gru", input_dim, units, reset_after=reset_after,
                             seed=int(rng.integers(1 << 30)), scale=1.0)
    layer = keras_layer("gru", *weights, reset_after=reset_after, return_state=True)
    keras_seq, keras_last = (np.asarray(a) for a in layer(x, initial_state=[h0]))

    h_seq = gru_forward(x, h0, *weights, reset_after=reset_after)

    assert h_seq.shape == (batch, steps, units) and h_seq.dtype == np.float32
    np.testing.assert_allclose(h_seq, keras_seq, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_seq[:, -1], keras_last, rtol=0, atol=ATOL)


@pytest.mark.parametrize("reset_after", [True, False])
def test_cell_forward_is_one_keras_step(rng, reset_after):
    x, h0 = _inputs(rng, 3, 1, 4, 5)
    weights = random_weights("gru", 4, 5, reset_after=reset_after, seed=3, scale=1.0)
    layer = keras_layer("gru", *weights, reset_after=reset_after, return_sequences=False)

    h_next = gru_cell_forward(x[:, 0], h0, *weights, reset_after=reset_after)

    np.testing.assert_allclose(h_next, np.asarray(layer(x, initial_state=[h0])), rtol=0, atol=ATOL)


def test_the_two_reset_placements_differ(rng):
    """Same kernels, recurrent bias zero: only where r is applied changes the answer."""
    x, h0 = _inputs(rng, 2, 3, 3, 4, dtype=np.float64)
    kernel, recurrent_kernel, bias = random_weights("gru", 3, 4, reset_after=False, seed=0, scale=1.0)
    two_rows = np.stack([bias, np.zeros_like(bias)])
    after = gru_forward(x, h0, kernel, recurrent_kernel, two_rows, reset_after=True)
    before = gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=False)
    assert np.abs(after - before).max() > 1e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_keeps_the_input_dtype(rng, dtype):
    x, h0 = _inputs(rng, 2, 3, 2, 4, dtype=dtype)
    weights = [w.astype(dtype) for w in random_weights("gru", 2, 4, seed=0)]
    assert gru_forward(x, h0, *weights).dtype == dtype
    assert gru_cell_forward(x[:, 0], h0, *weights).dtype == dtype


def test_inputs_are_not_modified(rng):
    x, h0 = _inputs(rng, 2, 3, 2, 4)
    weights = random_weights("gru", 2, 4, seed=0)
    before = [a.copy() for a in (x, h0, *weights)]
    gru_forward(x, h0, *weights)
    for original, after in zip(before, (x, h0, *weights)):
        np.testing.assert_array_equal(original, after)


@pytest.mark.parametrize("reset_after", [True, False])
def test_nan_propagates_without_warnings(rng, reset_after):
    x, h0 = _inputs(rng, 2, 4, 3, 2)
    x[0, 1, 0] = np.nan  # sample 0, step 1
    weights = random_weights("gru", 3, 2, reset_after=reset_after, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_seq = gru_forward(x, h0, *weights, reset_after=reset_after)
    assert np.isfinite(h_seq[0, 0]).all()
    assert np.isnan(h_seq[0, 1:]).all(), "NaN must reach this step and every later one"
    assert np.isfinite(h_seq[1]).all(), "the other sample must stay untouched"


# --- activations ------------------------------------------------------------------------


def test_keras_gates_use_the_logistic_sigmoid():
    """Keras 3's recurrent_activation is sigmoid, not Keras 2's old hard_sigmoid."""
    assert keras.layers.GRU(2).cell.recurrent_activation is keras.activations.sigmoid
    assert keras.layers.LSTM(2).cell.recurrent_activation is keras.activations.sigmoid
    assert keras.layers.GRU(2).cell.activation is keras.activations.tanh


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_matches_keras_and_keeps_dtype(dtype):
    x = np.linspace(-30, 30, 241).astype(dtype)
    out = sigmoid(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, np.asarray(keras.activations.sigmoid(x)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(tanh(x), np.tanh(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_has_no_overflow_warning_for_large_inputs(dtype):
    x = np.array([-1e4, -1000.0, -89.0, 0.0, 89.0, 1000.0, 1e4], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = sigmoid(x)
    np.testing.assert_array_equal(out[[0, 1, -2, -1]], np.array([0, 0, 1, 1], dtype=dtype))
    assert out[3] == 0.5


def test_sigmoid_propagates_nan_and_accepts_scalars_and_ints():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(sigmoid(np.nan))
        np.testing.assert_array_equal(np.isnan(sigmoid([0.0, np.nan])), [False, True])
    assert sigmoid(0) == 0.5 and sigmoid(np.array([0, 2])).dtype == np.float64
