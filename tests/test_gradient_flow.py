"""Gradient-flow measurements (course_utils.gradient_flow) against independent computations:
finite differences through the numpy reference cells, and closed forms where one exists."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_utils import gru, lstm, simple_rnn
from course_utils.activations import sigmoid
from course_utils.gradient_flow import (
    CELLS,
    adding_model,
    gradient_norms_by_lag,
    recurrent_layer,
    state_path_norms,
)
from course_utils.weights import random_weights, rnn_param_count

BATCH, STEPS, INPUT_DIM, UNITS = 3, 5, 2, 3


def reference_last_output(cell, x, weights):
    """h_T (batch, units) of the numpy reference cell, zero initial state, float64."""
    zeros = np.zeros((x.shape[0], weights[1].shape[0]))
    if cell == "simple_rnn":
        return simple_rnn.rnn_forward(x, zeros, *weights)[:, -1]
    if cell == "gru":
        return gru.gru_forward(x, zeros, *weights)[:, -1]
    return lstm.lstm_forward(x, zeros, zeros, *weights)[0][:, -1]


def finite_difference_norms(fn, x, eps=1e-6):
    """norms[k] = mean_n ||d fn(x)[n] / d x[n, T-1-k]||_F by central differences.

    Examples are independent, so x[:, t, d] is perturbed for the whole batch at once.
    """
    batch, steps, features = x.shape
    squared = np.zeros((batch, steps))
    for t in range(steps):
        for d in range(features):
            plus, minus = x.copy(), x.copy()
            plus[:, t, d] += eps
            minus[:, t, d] -= eps
            column = (fn(plus) - fn(minus)) / (2 * eps)   # (batch, outputs)
            squared[:, t] += (column**2).sum(axis=1)
    return np.sqrt(squared).mean(axis=0)[::-1]


@pytest.fixture(scope="module")
def models():
    import keras
    keras.utils.set_random_seed(3)
    return {cell: adding_model(cell, STEPS, units=UNITS) for cell in CELLS}


@pytest.mark.parametrize("cell", CELLS)
def test_keras_gradient_norms_match_finite_differences_through_the_reference(models, rng, cell):
    model = models[cell]
    weights = tuple(w.astype(np.float64) for w in model.layers[0].get_weights())
    x = rng.uniform(0, 1, size=(BATCH, STEPS, INPUT_DIM)).astype(np.float32)
    measured = gradient_norms_by_lag(model.layers[0], x)
    expected = finite_difference_norms(lambda v: reference_last_output(cell, v, weights),
                                       x.astype(np.float64))
    assert measured.shape == (STEPS,)
    np.testing.assert_allclose(measured, expected, rtol=2e-4, atol=1e-7)


def test_accepts_a_model_and_a_layer_that_returns_sequences(models, rng):
    x = rng.uniform(0, 1, size=(BATCH, STEPS, INPUT_DIM)).astype(np.float32)
    from_layer = gradient_norms_by_lag(models["gru"].layers[0], x)
    np.testing.assert_allclose(gradient_norms_by_lag(models["gru"], x), from_layer, rtol=1e-6)

    from course_utils.weights import keras_layer
    weights = models["gru"].layers[0].get_weights()
    sequences = keras_layer("gru", *weights, return_sequences=True)
    np.testing.assert_allclose(gradient_norms_by_lag(sequences, x), from_layer, rtol=1e-5)


def test_lag_zero_is_the_last_input():
    """Without a recurrent matrix, h_T depends only on x_T: every other lag has gradient 0."""
    from course_utils.weights import keras_layer
    kernel, _, bias = random_weights("simple_rnn", INPUT_DIM, UNITS, seed=1)
    layer = keras_layer("simple_rnn", kernel, np.zeros((UNITS, UNITS), np.float32), bias,
                        return_sequences=False)
    x = np.random.default_rng(0).normal(size=(BATCH, STEPS, INPUT_DIM)).astype(np.float32)
    norms = gradient_norms_by_lag(layer, x)
    assert norms[0] > 0.1
    np.testing.assert_array_equal(norms[1:], 0.0)


def test_adding_model_shapes_and_parameters(models):
    for cell, model in models.items():
        assert model.layers[0].name == cell
        assert model.output_shape == (None, 1)
        assert model.layers[0].count_params() == rnn_param_count(cell, 2, UNITS)
    with pytest.raises(ValueError, match="cell must be one of"):
        recurrent_layer("rnn", 4)


# ---------------------------------------------------------------- state_path_norms

def jacobian_by_finite_differences(fn, state, eps=1e-6):
    """Per-example Jacobian (batch, out, in) of fn: (batch, units) -> (batch, units)."""
    batch, units = state.shape
    jac = np.zeros((batch, units, units))
    for b in range(units):
        plus, minus = state.copy(), state.copy()
        plus[:, b] += eps
        minus[:, b] -= eps
        jac[:, :, b] = (fn(plus) - fn(minus)) / (2 * eps)
    return jac


def path_norms_by_finite_differences(cell, x, weights, reset_after=True):
    """mean_n ||d s_T / d s_{T-k}|| from the reference forward, one sub-sequence per lag."""
    batch, steps, _ = x.shape
    units = weights[1].shape[0]
    zeros = np.zeros((batch, units))
    norms = []
    for k in range(steps):
        if k == 0:
            norms.append(np.sqrt(units))
            continue
        head, tail = x[:, :steps - k], x[:, steps - k:]
        if cell == "lstm":
            h_seq, c_seq = lstm.lstm_forward(head, zeros, zeros, *weights)
            h, c = h_seq[:, -1], c_seq[:, -1]

            def run(c_start, h=h, tail=tail):   # h_{T-k} held fixed, c_{T-k} perturbed
                return lstm.lstm_forward(tail, h, c_start, *weights)[1][:, -1]
            jac = jacobian_by_finite_differences(run, c)
        else:
            h = gru.gru_forward(head, zeros, *weights, reset_after=reset_after)[:, -1]
            jac = jacobian_by_finite_differences(
                lambda h_start, tail=tail: gru.gru_forward(tail, h_start, *weights,
                                                reset_after=reset_after)[:, -1], h)
        norms.append(np.linalg.norm(jac, axis=(1, 2)).mean())
    return np.array(norms)


@pytest.mark.parametrize("cell,reset_after", [("lstm", True), ("gru", True), ("gru", False)])
def test_all_paths_match_finite_differences(rng, cell, reset_after):
    x = rng.uniform(-1, 1, size=(2, 6, 3))
    weights = tuple(w.astype(np.float64) for w in
                    random_weights(cell, 3, 4, reset_after=reset_after, seed=7, scale=0.9))
    paths = state_path_norms(cell, x, *weights, reset_after=reset_after)
    expected = path_norms_by_finite_differences(cell, x, weights, reset_after)
    np.testing.assert_allclose(paths["all_paths"], expected, rtol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_path_is_a_power_of_a_constant_gate(cell):
    """With zero weights and a gate bias b, the gate is sigmoid(b) at every step: the gate
    path after k steps is sqrt(units) * sigmoid(b)**k, and it is the only path."""
    units, input_dim, steps, b = 3, 2, 8, 1.0
    blocks = 4 if cell == "lstm" else 3
    gate_block = 1 if cell == "lstm" else 0       # f in i, f, c~, o; z in z, r, h~
    bias = np.zeros(blocks * units)
    bias[gate_block * units:(gate_block + 1) * units] = b
    if cell == "gru":
        bias = np.stack([bias, np.zeros_like(bias)])
    x = np.random.default_rng(1).normal(size=(2, steps, input_dim))
    paths = state_path_norms(cell, x, np.zeros((input_dim, blocks * units)),
                             np.zeros((units, blocks * units)), bias)
    expected = np.sqrt(units) * sigmoid(b) ** np.arange(steps)
    np.testing.assert_allclose(paths["gate_path"], expected, rtol=1e-12)
    np.testing.assert_allclose(paths["all_paths"], expected, rtol=1e-12)


def test_paths_start_at_identity_and_rejects_simple_rnn(rng):
    weights = random_weights("lstm", 2, 5, seed=0)
    paths = state_path_norms("lstm", rng.normal(size=(3, 4, 2)), *weights)
    assert set(paths) == {"all_paths", "gate_path"}
    np.testing.assert_allclose(paths["all_paths"][0], np.sqrt(5))
    np.testing.assert_allclose(paths["gate_path"][1], paths["all_paths"][1])  # one step: f only
    with pytest.raises(ValueError, match="no gate path"):
        state_path_norms("simple_rnn", rng.normal(size=(3, 4, 2)), *weights)


# ---------------------------------------------------------------- figures

def test_figures_have_one_log_panel_per_stage_and_one_curve_per_cell(tmp_path):
    from course_utils.plots.gradient_flow import plot_gradient_flow, plot_state_paths
    from course_utils.plots.training import plot_learning_curves
    lags = np.arange(10)
    curves = {cell: 0.9 ** lags * (i + 1) for i, cell in enumerate(CELLS)}
    fig = plot_gradient_flow({"at initialisation": curves, "after training": curves})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_yscale() == "log"
        assert [line.get_label() for line in ax.get_lines()] == ["SimpleRNN", "GRU", "LSTM"]
    fig.savefig(tmp_path / "flow.png")

    paths = {"all_paths": 2 * 0.9 ** lags, "gate_path": 2 * 0.7 ** lags}
    fig = plot_state_paths({cell: {"at initialisation": paths, "after training": paths}
                            for cell in ("gru", "lstm")})
    assert len(fig.axes) == 4 and len(fig.axes[0].get_lines()) == 2
    assert fig.axes[0].get_title().startswith("GRU") and fig.axes[3].get_title().startswith("LSTM")
    fig.savefig(tmp_path / "paths.png")

    ax = plot_learning_curves({cell: {"val_loss": [0.2, 0.1, 0.05]} for cell in CELLS},
                              baseline=1 / 6, show_training=False, logy=True)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["SimpleRNN", "GRU", "LSTM", "baseline"]   # the cells' names, the baseline
    ax.figure.savefig(tmp_path / "curves.png")
    for name in ("flow.png", "paths.png", "curves.png"):
        assert (tmp_path / name).stat().st_size > 1000, name
