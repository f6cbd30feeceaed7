"""The two textbook conventions of the GRU update (course_utils.conventions)."""
import numpy as np
import pytest

from course_utils import gru
from course_utils.conventions import (
    flip_update_convention,
    textbook_gru_cell_forward,
    textbook_gru_forward,
    update_gate_columns,
)
from course_utils.weights import keras_layer, random_weights

SHAPES = [(1, 1), (3, 2), (2, 5)]  # (input_dim, units)


def _inputs(rng, batch, steps, input_dim, units):
    x = rng.normal(size=(batch, steps, input_dim)).astype(np.float32)
    h0 = rng.uniform(-0.9, 0.9, size=(batch, units)).astype(np.float32)
    return x, h0


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("input_dim, units", SHAPES)
def test_flip_negates_exactly_the_update_gate_columns(reset_after, input_dim, units):
    weights = random_weights("gru", input_dim, units, reset_after=reset_after, seed=1)
    originals = [w.copy() for w in weights]
    flipped = flip_update_convention(*weights, reset_after=reset_after)
    z = update_gate_columns(units)
    for before, after, untouched in zip(weights, flipped, originals):
        np.testing.assert_array_equal(before, untouched)          # inputs not modified
        assert after.shape == before.shape and after.dtype == before.dtype
        np.testing.assert_array_equal(after[..., z], -before[..., z])
        np.testing.assert_array_equal(after[..., units:], before[..., units:])


@pytest.mark.parametrize("reset_after", [True, False])
def test_flip_is_its_own_inverse(reset_after):
    weights = random_weights("gru", 3, 4, reset_after=reset_after, seed=2)
    twice = flip_update_convention(*flip_update_convention(*weights, reset_after=reset_after),
                                   reset_after=reset_after)
    for before, after in zip(weights, twice):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("input_dim, units", SHAPES)
def test_textbook_gru_equals_keras_convention_on_flipped_weights(rng, reset_after,
                                                                 input_dim, units):
    weights = random_weights("gru", input_dim, units, reset_after=reset_after, seed=3)
    x, h0 = _inputs(rng, 2, 5, input_dim, units)
    textbook = textbook_gru_forward(x, h0, *weights, reset_after=reset_after)
    keras_style = gru.gru_forward(x, h0, *flip_update_convention(*weights, reset_after=reset_after),
                                  reset_after=reset_after)
    np.testing.assert_allclose(textbook, keras_style, atol=1e-6)
    # ...and the two conventions really differ on the same weights.
    assert np.abs(textbook - gru.gru_forward(x, h0, *weights, reset_after=reset_after)).max() > 1e-2


@pytest.mark.parametrize("reset_after", [True, False])
def test_textbook_gru_matches_a_real_keras_layer_given_flipped_weights(rng, reset_after):
    weights = random_weights("gru", 3, 4, reset_after=reset_after, seed=4)
    x, h0 = _inputs(rng, 2, 6, 3, 4)
    layer = keras_layer("gru", *flip_update_convention(*weights, reset_after=reset_after),
                        reset_after=reset_after)
    from_keras = np.asarray(layer(x, initial_state=[h0]))
    np.testing.assert_allclose(textbook_gru_forward(x, h0, *weights, reset_after=reset_after),
                               from_keras, atol=1e-5)


def test_cell_and_sequence_agree(rng):
    weights = random_weights("gru", 2, 3, seed=5)
    x, h0 = _inputs(rng, 4, 1, 2, 3)
    np.testing.assert_allclose(textbook_gru_cell_forward(x[:, 0], h0, *weights),
                               textbook_gru_forward(x, h0, *weights)[:, 0], atol=1e-7)


def test_what_z_equal_to_one_means_in_each_convention(rng):
    """A saturated z (bias +20): the textbook cell takes the candidate, Keras keeps h_prev."""
    kernel, recurrent_kernel, bias = random_weights("gru", 2, 3, seed=6)
    bias = bias.astype(np.float64)
    bias[0, :3] = 20.0
    x, h0 = _inputs(rng, 2, 1, 2, 3)
    np.testing.assert_allclose(gru.gru_cell_forward(x[:, 0], h0, kernel, recurrent_kernel, bias),
                               h0, atol=1e-7)
    textbook = textbook_gru_cell_forward(x[:, 0], h0, kernel, recurrent_kernel, bias)
    flat_z = bias.copy()
    flat_z[0, :3] = -20.0  # z = 0 in Keras's convention: h = candidate
    np.testing.assert_allclose(textbook, gru.gru_cell_forward(x[:, 0], h0, kernel,
                                                              recurrent_kernel, flat_z), atol=1e-7)


@pytest.mark.parametrize("reset_after", [True, False])
def test_flip_rejects_a_bias_of_the_other_form(reset_after):
    kernel, recurrent_kernel, bias = random_weights("gru", 2, 3, reset_after=not reset_after)
    with pytest.raises(ValueError, match="bias must have shape"):
        flip_update_convention(kernel, recurrent_kernel, bias, reset_after=reset_after)


def test_flip_rejects_transposed_weights():
    kernel, recurrent_kernel, bias = random_weights("gru", 2, 3, seed=7)
    with pytest.raises(ValueError, match=r"recurrent_kernel must have shape \(units, 3\*units\)"):
        flip_update_convention(kernel, recurrent_kernel.T, bias)
    with pytest.raises(ValueError, match=r"kernel must have shape \(9, 9\)"):
        flip_update_convention(kernel.T, recurrent_kernel, bias)
