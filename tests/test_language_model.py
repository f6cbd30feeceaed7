"""course_utils.language_model against independent computations: loops, counting, Keras."""
import collections
import warnings

import numpy as np
import pytest

from course_utils import language_model as lm
from course_utils.data import text


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- windows

def loop_windows(ids, window, stride):
    x, y, s = [], [], 0
    while s + window < len(ids):            # the last target ids[s + window] must exist
        x.append(list(ids[s:s + window]))
        y.append(list(ids[s + 1:s + window + 1]))   # every position: the next character
        s += stride
    return x, y


@pytest.mark.parametrize("n, window, stride", [(10, 3, 1), (12, 4, 3), (9, 8, 1), (30, 1, 4),
                                               (31, 6, 6), (26, 3, 11), (100, 16, 5)])
def test_make_windows_matches_a_loop(rng, n, window, stride):
    ids = rng.integers(0, 53, size=n)
    x, y = lm.make_windows(ids, window, stride)
    x_loop, y_loop = loop_windows(ids, window, stride)
    assert x.shape == y.shape == (len(x_loop), window)
    assert x.dtype == np.int32 and y.dtype == np.int32
    assert x.tolist() == x_loop and y.tolist() == y_loop


def test_make_windows_of_a_text_too_short_is_empty():
    x, y = lm.make_windows(np.arange(3), 3)
    assert x.shape == y.shape == (0, 3)


def test_make_windows_rejects_a_zero_stride():
    with pytest.raises(ValueError):
        lm.make_windows(np.arange(10), 3, stride=0)


# ---------------------------------------------------------------- counting baselines

def test_unigram_is_smoothed_relative_frequency(rng):
    ids = rng.integers(0, 6, size=200)
    ids[ids == 5] = 0                       # character 5 never occurs
    counts = collections.Counter(ids.tolist())
    p = lm.unigram_probabilities(ids, 6, smoothing=1.0)
    expected = [(counts[c] + 1) / (len(ids) + 6) for c in range(6)]
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert p[5] > 0


def test_bigram_rows_are_smoothed_conditional_frequencies(rng):
    ids = rng.integers(0, 4, size=300)
    pairs = collections.Counter(zip(ids[:-1].tolist(), ids[1:].tolist()))
    P = lm.bigram_probabilities(ids, 4, smoothing=0.5)
    for a in range(4):
        row = [pairs[(a, b)] + 0.5 for b in range(4)]
        np.testing.assert_allclose(P[a], np.array(row) / sum(row), rtol=1e-12)


# ---------------------------------------------------------------- perplexity

def test_perplexity_of_a_uniform_guess_is_the_vocabulary_size():
    assert lm.perplexity(np.full((5, 7), 1 / 7), [0, 6, 3, 3, 1]) == pytest.approx(7.0)


def test_perplexity_of_a_sure_and_right_model_is_one():
    probs = np.eye(4)[[2, 0, 3]]
    assert lm.perplexity(probs, [2, 0, 3]) == pytest.approx(1.0)


def test_perplexity_in_bits_is_the_same_number(rng):
    probs = softmax_rows(rng.normal(size=(20, 9)))
    targets = rng.integers(0, 9, size=20)
    p = np.array([probs[i, t] for i, t in enumerate(targets)])
    assert lm.perplexity(probs, targets) == pytest.approx(2 ** np.mean(-np.log2(p)), rel=1e-12)


def test_perplexity_of_a_zero_probability_is_infinite_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lm.perplexity(np.array([[0.0, 1.0]]), [0]) == np.inf


def test_perplexity_is_exp_of_keras_cross_entropy(keras, rng):
    probs = softmax_rows(rng.normal(size=(32, 11))).astype(np.float32)
    targets = rng.integers(0, 11, size=32)
    loss = keras.losses.SparseCategoricalCrossentropy()(targets, probs)
    assert lm.perplexity(probs, targets) == pytest.approx(
        lm.perplexity_from_cross_entropy(float(loss)), rel=1e-5)


# ---------------------------------------------------------------- temperature

def test_apply_temperature_is_renormalised_power(rng):
    p = softmax_rows(rng.normal(size=(3, 6)))
    for temperature in (0.3, 1.0, 2.5):
        q = lm.apply_temperature(p, temperature)
        power = p ** (1 / temperature)
        np.testing.assert_allclose(q, power / power.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(lm.apply_temperature(p, 1.0), p, rtol=1e-12)


def test_apply_temperature_limits_and_zeros():
    p = np.array([0.2, 0.0, 0.5, 0.3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # log(0) and tiny T must stay silent
        cold = lm.apply_temperature(p, 1e-3)
        hot = lm.apply_temperature(p, 1e3)
    np.testing.assert_allclose(cold, [0, 0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(hot[[0, 2, 3]], 1 / 3, atol=1e-3)
    assert hot[1] == 0.0


def test_apply_temperature_rejects_non_positive_temperatures():
    with pytest.raises(ValueError):
        lm.apply_temperature(np.array([0.5, 0.5]), 0.0)


def test_sample_with_temperature_follows_the_rescaled_distribution():
    p = np.array([0.5, 0.25, 0.15, 0.1])
    rng = np.random.default_rng(0)
    draws = [lm.sample_with_temperature(p, 0.5, rng) for _ in range(20_000)]
    assert all(isinstance(d, int) for d in draws[:10])
    frequencies = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(frequencies, lm.apply_temperature(p, 0.5), atol=0.015)


def test_sample_with_temperature_is_reproducible_from_the_seed():
    p = np.array([0.3, 0.3, 0.4])
    first = [lm.sample_with_temperature(p, 1.0, rng) for rng in [np.random.default_rng(5)] * 30]
    second = [lm.sample_with_temperature(p, 1.0, rng) for rng in [np.random.default_rng(5)] * 30]
    assert first == second


# ---------------------------------------------------------------- the Keras model

@pytest.mark.parametrize("cell, layer_name", [("gru", "GRU"), ("lstm", "LSTM")])
def test_build_char_model_layers_shapes_and_parameter_count(keras, cell, layer_name):
    model = lm.build_char_model(vocab_size=9, window=5, cell=cell, units=4, embedding_dim=3)
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", layer_name, "Dense"]
    x = np.random.default_rng(0).integers(0, 9, size=(2, 5)).astype(np.int32)
    probs = keras.ops.convert_to_numpy(model(x))
    assert probs.shape == (2, 5, 9)          # after every character, the next one's distribution
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-6)
    # many-to-many and causal: position t reads x[:, :t+1] only, so changing the last
    # character leaves every earlier prediction as it was
    changed = x.copy()
    changed[:, -1] = (changed[:, -1] + 1) % 9
    other = keras.ops.convert_to_numpy(model(changed))
    np.testing.assert_allclose(other[:, :-1], probs[:, :-1], atol=1e-6)
    assert not np.allclose(other[:, -1], probs[:, -1])
    assert model.count_params() == lm.char_model_param_count(9, cell, 4, 3)


def test_char_model_param_count_by_hand():
    # GRU (reset_after=True): 3 blocks of (E*U + U*U + 2U); LSTM: 4 blocks of (E*U + U*U + U).
    V, E, U = text.VOCAB_SIZE, 16, 64
    assert lm.char_model_param_count(V, "gru", U, E) == V * E + 3 * (E * U + U * U + 2 * U) + U * V + V
    assert lm.char_model_param_count(V, "lstm", U, E) == V * E + 4 * (E * U + U * U + U) + U * V + V
