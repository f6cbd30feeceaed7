"""course_utils.weights: parameter counts, random weights and Keras layers agree with Keras."""
import keras
import numpy as np
import pytest

from course_utils.weights import keras_layer, random_weights, rnn_param_count

# (cell, reset_after): every layout Keras has; reset_after only matters for the GRU.
VARIANTS = [("simple_rnn", True), ("gru", True), ("gru", False), ("lstm", True)]
SIZES = [(1, 1), (3, 5), (8, 2), (2, 8), (16, 16)]  # (input_dim, units)


def _fresh_keras_layer(cell, units, reset_after):
    if cell == "simple_rnn":
        return keras.layers.SimpleRNN(units)
    if cell == "gru":
        return keras.layers.GRU(units, reset_after=reset_after)
    return keras.layers.LSTM(units)


@pytest.mark.parametrize("cell, reset_after", VARIANTS)
@pytest.mark.parametrize("input_dim, units", SIZES)
def test_param_count_matches_keras_count_params(cell, reset_after, input_dim, units):
    layer = _fresh_keras_layer(cell, units, reset_after)
    layer.build((None, None, input_dim))
    assert rnn_param_count(cell, input_dim, units, reset_after=reset_after) == layer.count_params()


@pytest.mark.parametrize("cell, reset_after", VARIANTS)
def test_random_weights_have_keras_shapes_and_are_float32(cell, reset_after):
    layer = _fresh_keras_layer(cell, 4, reset_after)
    layer.build((None, None, 3))
    weights = random_weights(cell, 3, 4, reset_after=reset_after, seed=0, scale=0.3)
    assert [w.shape for w in weights] == [w.shape for w in layer.get_weights()]
    assert all(w.dtype == np.float32 for w in weights)
    assert all(np.abs(w).max() <= 0.3 for w in weights)
    assert all(np.abs(w).min() > 0 for w in weights[2:]), "the bias is random, not zeros"


def test_random_weights_are_reproducible_by_seed():
    first, again, other = (random_weights("gru", 3, 2, seed=s) for s in (7, 7, 8))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("cell, reset_after", VARIANTS)
def test_keras_layer_carries_the_weights(cell, reset_after):
    weights = random_weights(cell, 3, 4, reset_after=reset_after, seed=1)
    layer = keras_layer(cell, *weights, reset_after=reset_after)
    assert type(layer).__name__ == {"simple_rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}[cell]
    assert layer.units == 4 and layer.return_sequences and not layer.return_state
    if cell == "gru":
        assert layer.reset_after == reset_after
    for given, held in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(given, held)


def test_keras_layer_output_options():
    weights = random_weights("lstm", 2, 3, seed=0)
    x = np.zeros((1, 4, 2), dtype=np.float32)
    last_only = keras_layer("lstm", *weights, return_sequences=False)(x)
    assert tuple(last_only.shape) == (1, 3)
    outputs = keras_layer("lstm", *weights, return_state=True)(x)
    assert [tuple(o.shape) for o in outputs] == [(1, 4, 3), (1, 3), (1, 3)]


def test_keras_layer_rejects_a_bias_of_the_other_gru_form():
    kernel, recurrent_kernel, bias = random_weights("gru", 3, 4, reset_after=True, seed=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(12,\) .*reset_after=False, got \(2, 12\)"):
        keras_layer("gru", kernel, recurrent_kernel, bias, reset_after=False)


@pytest.mark.parametrize("call", [
    lambda: rnn_param_count("transformer", 3, 4),
    lambda: random_weights("rnn", 3, 4),
    lambda: keras_layer("gur", *random_weights("gru", 3, 4)),
])
def test_unknown_cell_names_the_valid_ones(call):
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'simple_rnn'\]"):
        call()


@pytest.mark.parametrize("input_dim, units", [(0, 3), (3, 0), (2.5, 3), (3, -1), (True, 3)])
def test_sizes_must_be_positive_integers(input_dim, units):
    with pytest.raises(ValueError, match="must be a positive integer"):
        rnn_param_count("lstm", input_dim, units)
