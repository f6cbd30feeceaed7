"""The reference models of 06_keras_rnns against the numpy reference cells, and the epoch timer.

Each model gets random weights (random biases too, which Keras would start at
zero) and its output is recomputed independently from ``course_utils.lstm`` /
``course_utils.gru`` and a numpy Dense layer; parameter counts are recomputed
from ``course_utils.weights.rnn_param_count``.
"""
import keras
import numpy as np
import pytest

import course_utils  # noqa: F401  (first: quiet TensorFlow)
from course_utils.gru import gru_forward
from course_utils.keras_models import (
    RECURRENT_LAYERS,
    EpochTimer,
    build_bidirectional_tagger,
    build_stacked_model,
    median_seconds_per_epoch,
    time_ratio_sentence,
)
from course_utils.lstm import lstm_forward
from course_utils.weights import rnn_param_count

ATOL = 1e-5


def _layers(model):
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _randomise(model, rng):
    """Give every weight of ``model`` random values in [-0.5, 0.5]; returns the new weights."""
    weights = [rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    return weights


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("input_dim, units", [(3, 4), (1, 1), (5, 2)])
def test_stacked_model_computes_lstm_then_gru_then_dense(input_dim, units, rng):
    model = build_stacked_model(input_dim, units)
    _randomise(model, rng)
    lstm, gru, dense = _layers(model)
    x = rng.normal(size=(3, 6, input_dim)).astype(np.float32)
    zeros = np.zeros((3, units), np.float32)

    h_lstm, _ = lstm_forward(x, zeros, zeros, *lstm.get_weights())      # (batch, T, units)
    h_gru = gru_forward(h_lstm, zeros, *gru.get_weights())[:, -1]       # last state only
    dense_kernel, dense_bias = dense.get_weights()
    expected = h_gru @ dense_kernel + dense_bias

    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=ATOL)


@pytest.mark.parametrize("steps", [1, 7])
def test_stacked_model_reads_any_length(steps):
    model = build_stacked_model(3, 4)
    assert model.input_shape == (None, None, 3)
    assert model(np.zeros((2, steps, 3), np.float32)).shape == (2, 1)


@pytest.mark.parametrize("input_dim, units", [(3, 4), (1, 1), (64, 32)])
def test_stacked_model_parameter_count(input_dim, units):
    model = build_stacked_model(input_dim, units)
    expected = (rnn_param_count("lstm", input_dim, units)
                + rnn_param_count("gru", units, units)      # the GRU reads the LSTM's states
                + units + 1)                                # Dense(1)
    assert model.count_params() == expected


def test_stacked_model_layer_settings():
    lstm, gru, dense = _layers(build_stacked_model(3, 4))
    assert isinstance(lstm, keras.layers.LSTM) and lstm.get_config()["return_sequences"]
    assert isinstance(gru, keras.layers.GRU) and not gru.get_config()["return_sequences"]
    assert gru.get_config()["reset_after"]
    assert isinstance(dense, keras.layers.Dense) and dense.get_config()["activation"] == "linear"


@pytest.mark.parametrize("input_dim, units, num_classes", [(3, 4, 5), (1, 1, 2), (6, 3, 4)])
def test_tagger_concatenates_forward_and_backward_gru(input_dim, units, num_classes, rng):
    model = build_bidirectional_tagger(input_dim, units, num_classes)
    weights = _randomise(model, rng)
    # Bidirectional's weights: forward GRU (3 arrays), backward GRU (3), then Dense (2).
    forward_weights, backward_weights, (dense_kernel, dense_bias) = (
        weights[:3], weights[3:6], weights[6:])
    x = rng.normal(size=(2, 5, input_dim)).astype(np.float32)
    zeros = np.zeros((2, units), np.float32)

    forward = gru_forward(x, zeros, *forward_weights)
    backward = gru_forward(x[:, ::-1], zeros, *backward_weights)[:, ::-1]  # realigned with x
    both = np.concatenate([forward, backward], axis=-1)                    # (batch, T, 2*units)
    expected = _softmax(both @ dense_kernel + dense_bias)

    np.testing.assert_allclose(np.asarray(model(x)), expected, atol=ATOL)


@pytest.mark.parametrize("steps", [1, 4])
def test_tagger_gives_one_distribution_per_step(steps):
    model = build_bidirectional_tagger(3, 4, 5)
    assert model.input_shape == (None, None, 3)
    probabilities = np.asarray(model(np.ones((2, steps, 3), np.float32)))
    assert probabilities.shape == (2, steps, 5)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-6)


@pytest.mark.parametrize("input_dim, units, num_classes", [(3, 4, 5), (1, 1, 2)])
def test_tagger_parameter_count(input_dim, units, num_classes):
    model = build_bidirectional_tagger(input_dim, units, num_classes)
    expected = 2 * rnn_param_count("gru", input_dim, units) + (2 * units + 1) * num_classes
    assert model.count_params() == expected


def test_recurrent_layers_cover_the_three_cells():
    assert RECURRENT_LAYERS == {"simple_rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU,
                                "lstm": keras.layers.LSTM}
    for cell, layer_class in RECURRENT_LAYERS.items():
        layer = layer_class(3)
        layer.build((None, None, 2))
        assert layer.count_params() == rnn_param_count(cell, 2, 3)


def test_epoch_timer_times_every_epoch_of_fit():
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.SimpleRNN(2),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3, 2), np.float32), np.zeros((8, 1), np.float32)
    timer = EpochTimer()
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[timer])
    assert len(timer.epoch_seconds) == 3
    assert all(seconds > 0 for seconds in timer.epoch_seconds)
    assert timer.seconds_per_epoch == pytest.approx(np.median(timer.epoch_seconds[1:]))

    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[timer])
    assert len(timer.epoch_seconds) == 2, "a new fit starts a new record"


def test_seconds_per_epoch_is_the_median_without_the_first_epoch():
    timer = EpochTimer()
    timer.epoch_seconds = [9.0, 1.0, 2.0, 50.0]   # compile time first, one slowed-down epoch
    assert timer.seconds_per_epoch == 2.0
    timer.epoch_seconds = [3.0]                   # a single epoch is all there is
    assert timer.seconds_per_epoch == 3.0
    timer.epoch_seconds = []
    with pytest.raises(ValueError, match="no epoch"):
        _ = timer.seconds_per_epoch


def test_median_seconds_per_epoch_is_what_the_timer_reports():
    assert median_seconds_per_epoch([9.0, 1.0, 2.0, 50.0]) == 2.0
    assert median_seconds_per_epoch([4.0]) == 4.0
    with pytest.raises(ValueError, match="no epoch"):
        median_seconds_per_epoch([])


def test_time_ratio_sentence_states_the_measured_ratio():
    slower = time_ratio_sentence("GRU", 0.9, "LSTM", 0.6)
    assert "1.50 times as long as the LSTM" in slower
    assert "the LSTM was faster than the GRU" in slower
    faster = time_ratio_sentence("GRU", 0.5, "LSTM", 1.0)
    assert "0.50 times" in faster and "the GRU was faster than the LSTM" in faster


def test_time_ratio_sentence_calls_a_small_difference_noise():
    close = time_ratio_sentence("GRU", 1.03, "LSTM", 1.0)
    assert "1.03 times" in close
    assert "faster than" not in close and "too small" in close
