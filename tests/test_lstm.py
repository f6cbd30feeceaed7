"""course_utils.lstm reproduces keras.layers.LSTM: every output, every cell state."""
import warnings

import numpy as np
import pytest

from course_utils.lstm import lstm_cell_forward, lstm_forward
from course_utils.weights import keras_layer, random_weights

ATOL = 1e-5  # float32 round-off over a few steps is ~1e-7

# (batch, T, input_dim, units): batch 1, a single step, one unit, input_dim != units, square.
SHAPES = [(3, 5, 4, 6), (1, 1, 3, 2), (2, 4, 1, 1), (1, 3, 5, 5), (4, 2, 6, 3)]


def _inputs(rng, batch, steps, input_dim, units, dtype=np.float32):
    x = rng.normal(size=(batch, steps, input_dim)).astype(dtype)
    h0 = rng.uniform(-0.9, 0.9, size=(batch, units)).astype(dtype)  # non-zero initial states
    c0 = rng.normal(size=(batch, units)).astype(dtype)
    return x, h0, c0


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "b{}_T{}_in{}_u{}".format(*s))
def test_forward_matches_keras_at_every_step(rng, shape):
    batch, steps, input_dim, units = shape
    x, h0, c0 = _inputs(rng, *shape)
    weights = random_weights("lstm", input_dim, units, seed=int(rng.integers(1 << 30)), scale=1.0)
    layer = keras_layer("lstm", *weights, return_sequences=True, return_state=True)
    keras_seq, keras_h, keras_c = (np.asarray(a) for a in layer(x, initial_state=[h0, c0]))

    h_seq, c_seq = lstm_forward(x, h0, c0, *weights)

    assert h_seq.shape == c_seq.shape == (batch, steps, units)
    assert h_seq.dtype == c_seq.dtype == np.float32
    np.testing.assert_allclose(h_seq, keras_seq, rtol=0, atol=ATOL)
    np.testing.assert_allclose(h_seq[:, -1], keras_h, rtol=0, atol=ATOL)
    np.testing.assert_allclose(c_seq[:, -1], keras_c, rtol=0, atol=ATOL)
    # Keras returns only the last cell state: read step t's from the prefix x[:, :t+1].
    for t in range(steps - 1):
        _, _, keras_c_t = layer(x[:, :t + 1], initial_state=[h0, c0])
        np.testing.assert_allclose(c_seq[:, t], np.asarray(keras_c_t), rtol=0, atol=ATOL)


def test_cell_forward_is_one_keras_step(rng):
    x, h0, c0 = _inputs(rng, 3, 1, 4, 5)
    weights = random_weights("lstm", 4, 5, seed=3, scale=1.0)
    layer = keras_layer("lstm", *weights, return_sequences=False, return_state=True)
    _, keras_h, keras_c = layer(x, initial_state=[h0, c0])

    h_next, c_next = lstm_cell_forward(x[:, 0], h0, c0, *weights)

    np.testing.assert_allclose(h_next, np.asarray(keras_h), rtol=0, atol=ATOL)
    np.testing.assert_allclose(c_next, np.asarray(keras_c), rtol=0, atol=ATOL)


def test_sequence_carries_both_states(rng):
    x, h0, c0 = _inputs(rng, 2, 4, 3, 3, dtype=np.float64)
    weights = random_weights("lstm", 3, 3, seed=1)
    h_seq, c_seq = lstm_forward(x, h0, c0, *weights)
    h, c = h0, c0
    for t in range(4):
        h, c = lstm_cell_forward(x[:, t], h, c, *weights)
        np.testing.assert_allclose(h_seq[:, t], h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(c_seq[:, t], c, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_keeps_the_input_dtype(rng, dtype):
    x, h0, c0 = _inputs(rng, 2, 3, 2, 4, dtype=dtype)
    weights = [w.astype(dtype) for w in random_weights("lstm", 2, 4, seed=0)]
    assert all(a.dtype == dtype for a in lstm_forward(x, h0, c0, *weights))
    assert all(a.dtype == dtype for a in lstm_cell_forward(x[:, 0], h0, c0, *weights))


def test_inputs_are_not_modified(rng):
    x, h0, c0 = _inputs(rng, 2, 3, 2, 4)
    weights = random_weights("lstm", 2, 4, seed=0)
    before = [a.copy() for a in (x, h0, c0, *weights)]
    lstm_forward(x, h0, c0, *weights)
    for original, after in zip(before, (x, h0, c0, *weights)):
        np.testing.assert_array_equal(original, after)


def test_nan_propagates_without_warnings(rng):
    x, h0, c0 = _inputs(rng, 2, 4, 3, 2)
    x[0, 1, 0] = np.nan  # sample 0, step 1
    weights = random_weights("lstm", 3, 2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_seq, c_seq = lstm_forward(x, h0, c0, *weights)
    for name, seq in (("h_seq", h_seq), ("c_seq", c_seq)):
        assert np.isfinite(seq[0, 0]).all(), name
        assert np.isnan(seq[0, 1:]).all(), f"NaN must reach {name} at this step and every later one"
        assert np.isfinite(seq[1]).all(), f"the other sample of {name} must stay untouched"
