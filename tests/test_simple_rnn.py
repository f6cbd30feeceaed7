"""course_utils.simple_rnn reproduces keras.layers.SimpleRNN, step by step."""
import warnings

import numpy as np
import pytest

from course_utils.simple_rnn import rnn_cell_forward, rnn_forward
from course_utils.weights import keras_layer, random_weights

ATOL = 1e-5  # float32 round-off over a few steps is ~1e-7

# (batch, T, input_dim, units): batch 1, a single step, one unit, input_dim != units, square.
SHAPES = [(3, 5, 4, 6), (1, 1, 3, 2), (2, 4, 1, 1), (1, 3, 5, 5), (4, 2, 6, 3)]


def _inputs(rng, batch, steps, input_dim, units, dtype=np.float32):
    x = rng.normal(size=(batch, steps, input_dim)).astype(dtype)
    h0 = rng.uniform(-0.9, 0.9, size=(batch, units)).astype(dtype)  # non-zero initial state
    return x, h0


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}_T{}_in{}_u{}".format(*s))
def test_forward_matches_keras_at_every_step(rng, shape):
    batch, steps, input_dim, units = shape
    x, h0 = _inputs(rng, *shape)
    weights = random_weights("simple_rnn", input_dim, units, seed=int(rng.integers(1 << 30)))
    layer = keras_layer("simple_rnn", *weights, return_sequences=True, return_state=True)
    keras_seq, keras_last = (np.asarray(a) for a in layer(x, initial_state=[h0]))

    h_seq = rnn_forward(x, h0, *weights)

    assert h_seq.shape == (batch, steps, units) and h_seq.dtype == np.float32
    np.testing.assert_allclose(h_seq, keras_seq, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_seq[:, -1], keras_last, rtol=0, atol=ATOL)


def test_cell_forward_is_one_keras_step(rng):
    x, h0 = _inputs(rng, 3, 1, 4, 5)
    weights = random_weights("simple_rnn", 4, 5, seed=3)
    layer = keras_layer("simple_rnn", *weights, return_sequences=False)

    h_next = rnn_cell_forward(x[:, 0], h0, *weights)

    np.testing.assert_allclose(h_next, np.asarray(layer(x, initial_state=[h0])), rtol=0, atol=ATOL)


def test_cell_forward_is_the_documented_formula(rng):
    """h_next = tanh(x_t W + h_prev U + b), computed independently in float64."""
    kernel, recurrent_kernel, bias = (w.astype(np.float64) for w in random_weights("simple_rnn", 3, 2, seed=0))
    x_t, h_prev = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    expected = np.tanh(np.einsum("bi,iu->bu", x_t, kernel)
                       + np.einsum("bv,vu->bu", h_prev, recurrent_kernel) + bias)
    np.testing.assert_allclose(rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias),
                               expected, rtol=1e-12, atol=1e-12)


def test_sequence_carries_the_state_from_step_to_step(rng):
    x, h0 = _inputs(rng, 2, 4, 3, 3, dtype=np.float64)
    weights = random_weights("simple_rnn", 3, 3, seed=1)
    h_seq = rnn_forward(x, h0, *weights)
    h = h0
    for t in range(4):
        h = rnn_cell_forward(x[:, t], h, *weights)
        np.testing.assert_allclose(h_seq[:, t], h, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_keeps_the_input_dtype(rng, dtype):
    x, h0 = _inputs(rng, 2, 3, 2, 4, dtype=dtype)
    weights = [w.astype(dtype) for w in random_weights("simple_rnn", 2, 4, seed=0)]
    assert rnn_forward(x, h0, *weights).dtype == dtype
    assert rnn_cell_forward(x[:, 0], h0, *weights).dtype == dtype


def test_inputs_are_not_modified(rng):
    x, h0 = _inputs(rng, 2, 3, 2, 4)
    weights = random_weights("simple_rnn", 2, 4, seed=0)
    before = [a.copy() for a in (x, h0, *weights)]
    rnn_forward(x, h0, *weights)
    for original, after in zip(before, (x, h0, *weights)):
        np.testing.assert_array_equal(original, after)


def test_nan_propagates_without_warnings(rng):
    x, h0 = _inputs(rng, 2, 4, 3, 2)
    x[0, 1, 0] = np.nan  # sample 0, step 1
    weights = random_weights("simple_rnn", 3, 2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_seq = rnn_forward(x, h0, *weights)
    assert np.isfinite(h_seq[0, 0]).all()
    assert np.isnan(h_seq[0, 1:]).all(), "NaN must reach this step and every later one"
    assert np.isfinite(h_seq[1]).all(), "the other sample must stay untouched"
