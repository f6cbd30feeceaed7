"""The one-step LSTM backward reference (course_utils.gated_backward), checked three ways:
finite differences of the forward step, the tests' BPTT reference with T=1, and TensorFlow's
autodiff through a real keras.layers.LSTM."""
import numpy as np
import pytest
from bptt_oracle import lstm_backward

from course_utils import gated_backward, lstm
from course_utils.finite_differences import numerical_gradient, relative_error
from course_utils.gated_backward import GRADIENT_KEYS, lstm_cell_backward

INPUT_NAMES = ("x_t", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias")
SHAPES = [  # (batch, input_dim, units): one example, one unit, input_dim != units, bigger
    (1, 1, 1), (1, 3, 1), (2, 3, 2), (3, 2, 4), (4, 5, 3)]


def make_step(rng, batch, input_dim, units, dtype=np.float64, scale=0.8):
    """Random upstream gradients, inputs, states and weights of one LSTM step."""
    def draw(*shape):
        return rng.normal(scale=scale, size=shape).astype(dtype)
    return {"dh_next": draw(batch, units), "dc_next": draw(batch, units),
            "x_t": draw(batch, input_dim), "h_prev": np.tanh(draw(batch, units)),
            "c_prev": draw(batch, units), "kernel": draw(input_dim, 4 * units),
            "recurrent_kernel": draw(units, 4 * units), "bias": draw(4 * units)}


def finite_difference_gradients(step):
    """Gradients of L = sum(dh_next * h_next) + sum(dc_next * c_next) by central differences."""
    inputs = {name: step[name] for name in INPUT_NAMES}
    out = {}
    for name, key in zip(INPUT_NAMES, GRADIENT_KEYS):
        def loss(value, name=name):
            h_next, c_next = lstm.lstm_cell_forward(**{**inputs, name: value})
            return float((step["dh_next"] * h_next).sum() + (step["dc_next"] * c_next).sum())
        out[key] = numerical_gradient(loss, inputs[name])
    return out


@pytest.mark.parametrize("batch,input_dim,units", SHAPES)
def test_matches_finite_differences(rng, batch, input_dim, units):
    step = make_step(rng, batch, input_dim, units)
    grads = lstm_cell_backward(**step)
    numeric = finite_difference_gradients(step)
    for key in GRADIENT_KEYS:
        assert grads[key].shape == numeric[key].shape, key
        assert relative_error(grads[key], numeric[key]) < 1e-7, key


@pytest.mark.parametrize("batch,input_dim,units", SHAPES)
def test_agrees_with_bptt_with_one_step(rng, batch, input_dim, units):
    step = make_step(rng, batch, input_dim, units)
    ours = lstm_cell_backward(**step)
    # BPTT over a sequence of length 1 is one step: dh_seq[:, 0] = dh_next, dc_last = dc_next.
    bptt = lstm_backward(step["dh_next"][:, None], step["x_t"][:, None], step["h_prev"],
                              step["c_prev"], step["kernel"], step["recurrent_kernel"],
                              step["bias"], dc_last=step["dc_next"])
    renamed = {"dx_t": bptt["dx"][:, 0], "dh_prev": bptt["dh0"], "dc_prev": bptt["dc0"],
               "dkernel": bptt["dkernel"], "drecurrent_kernel": bptt["drecurrent_kernel"],
               "dbias": bptt["dbias"]}
    for key in GRADIENT_KEYS:
        np.testing.assert_allclose(ours[key], renamed[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_chaining_steps_reproduces_bptt(rng):
    """Calling the one-step backward from the last step to the first, passing dh_prev and
    dc_prev along and summing the weight gradients, is backpropagation through time."""
    batch, steps, input_dim, units = 2, 4, 3, 2
    first = make_step(rng, batch, input_dim, units)
    x = rng.normal(size=(batch, steps, input_dim))
    dh_seq = rng.normal(size=(batch, steps, units))
    weights = (first["kernel"], first["recurrent_kernel"], first["bias"])
    h_seq, c_seq = lstm.lstm_forward(x, first["h_prev"], first["c_prev"], *weights)
    h_before = np.concatenate([first["h_prev"][:, None], h_seq[:, :-1]], axis=1)
    c_before = np.concatenate([first["c_prev"][:, None], c_seq[:, :-1]], axis=1)
    dh, dc = np.zeros((batch, units)), np.zeros((batch, units))
    totals = {k: 0.0 for k in ("dkernel", "drecurrent_kernel", "dbias")}
    for t in reversed(range(steps)):
        g = lstm_cell_backward(dh_seq[:, t] + dh, dc, x[:, t], h_before[:, t], c_before[:, t],
                               *weights)
        dh, dc = g["dh_prev"], g["dc_prev"]
        for key in totals:
            totals[key] = totals[key] + g[key]
    bptt = lstm_backward(dh_seq, x, first["h_prev"], first["c_prev"], *weights)
    np.testing.assert_allclose(dh, bptt["dh0"], atol=1e-12)
    np.testing.assert_allclose(dc, bptt["dc0"], atol=1e-12)
    for key in totals:
        np.testing.assert_allclose(totals[key], bptt[key], atol=1e-12)


def test_agrees_with_tensorflow_autodiff_through_a_keras_lstm(rng):
    """A third, independent source: tf.GradientTape through keras.layers.LSTM (float32)."""
    import tensorflow as tf

    from course_utils.weights import keras_layer

    step = make_step(rng, 3, 2, 4, dtype=np.float32, scale=0.6)
    layer = keras_layer("lstm", step["kernel"], step["recurrent_kernel"], step["bias"],
                        return_sequences=False, return_state=True)
    x, h0, c0 = (tf.constant(step[k]) for k in ("x_t", "h_prev", "c_prev"))
    with tf.GradientTape() as tape:
        tape.watch([x, h0, c0])
        _, h_next, c_next = layer(x[:, None], initial_state=[h0, c0])
        loss = tf.reduce_sum(step["dh_next"] * h_next) + tf.reduce_sum(step["dc_next"] * c_next)
    sources = [x, h0, c0, *layer.trainable_variables]  # kernel, recurrent_kernel, bias
    tf_grads = dict(zip(GRADIENT_KEYS, (g.numpy() for g in tape.gradient(loss, sources))))
    ours = lstm_cell_backward(**{k: v.astype(np.float64) for k, v in step.items()})
    for key in GRADIENT_KEYS:
        np.testing.assert_allclose(tf_grads[key], ours[key], rtol=1e-4, atol=2e-6, err_msg=key)


def test_pieces_compose_to_the_forward_step(rng):
    step = make_step(rng, 2, 3, 2)
    inputs = {name: step[name] for name in INPUT_NAMES}
    gates = gated_backward.lstm_cell_gates(**inputs)
    h_next, c_next = lstm.lstm_cell_forward(**inputs)
    np.testing.assert_allclose(gates["h_next"], h_next, atol=1e-14)
    np.testing.assert_allclose(gates["c_next"], c_next, atol=1e-14)
    da, dc, dc_prev = gated_backward.lstm_gate_gradients(step["dh_next"], step["dc_next"],
                                                         step["c_prev"], gates)
    assert da.shape == (2, 8) and dc.shape == dc_prev.shape == (2, 2)
    # dbias is the gradient of the pre-activation a itself, summed over the batch.
    np.testing.assert_allclose(lstm_cell_backward(**step)["dbias"], da.sum(axis=0))


def test_additive_path_when_forget_gate_is_open_and_nothing_else_moves():
    """With f = 1 exactly (huge forget bias) and dh_next = 0, dc_prev = dc_next: the cell
    state passes the gradient back unchanged, the picture lesson 05 builds on."""
    units, input_dim, batch = 3, 2, 2
    bias = np.zeros(4 * units)
    bias[units:2 * units] = 50.0   # forget gate saturated open
    rng = np.random.default_rng(0)
    dc_next = rng.normal(size=(batch, units))
    grads = lstm_cell_backward(np.zeros((batch, units)), dc_next,
                               rng.normal(size=(batch, input_dim)),
                               np.zeros((batch, units)), rng.normal(size=(batch, units)),
                               np.zeros((input_dim, 4 * units)), np.zeros((units, 4 * units)), bias)
    np.testing.assert_allclose(grads["dc_prev"], dc_next, rtol=1e-12)


def test_dtype_is_kept_and_inputs_are_not_modified(rng):
    step = make_step(rng, 2, 3, 2, dtype=np.float32)
    copies = {k: v.copy() for k, v in step.items()}
    grads = lstm_cell_backward(**step)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert list(grads) == list(GRADIENT_KEYS)
    for key, value in step.items():
        np.testing.assert_array_equal(value, copies[key], err_msg=key)


def test_saturated_gates_give_finite_gradients_without_warnings(rng):
    step = make_step(rng, 2, 2, 2, dtype=np.float32)
    step["bias"] = step["bias"] + np.float32(1000.0) * np.sign(step["bias"])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        grads = lstm_cell_backward(**step)
    assert all(np.isfinite(g).all() for g in grads.values())


@pytest.mark.parametrize("name,shape,words", [
    ("dc_next", (2, 3), "dc_next must have shape (2, 2)"),
    ("recurrent_kernel", (8, 2), "recurrent_kernel must have shape (2, 8)"),
    ("bias", (2, 8), "bias must have shape (8,)"),
])
def test_wrong_shapes_are_named(rng, name, shape, words):
    step = make_step(rng, 2, 3, 2)
    step[name] = np.zeros(shape)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        lstm_cell_backward(**step)
