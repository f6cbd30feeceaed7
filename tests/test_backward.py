"""The reference backward passes (``bptt_oracle`` and the course's ``rnn_backward`` and
``lstm_cell_backward``) agree with TensorFlow autodiff through the Keras layer and with
central finite differences, for every gradient they return.

The loss is ``L = sum(dh_seq * h_seq)`` (``+ sum(dc_last * c_T)`` for the LSTM), whose
gradient w.r.t. ``h_seq`` is exactly the upstream ``dh_seq`` the backward functions take.
"""
import numpy as np
import pytest
import tensorflow as tf
from bptt_oracle import gru_backward, gru_cell_backward, lstm_backward, rnn_cell_backward

from course_utils import gru, lstm, simple_rnn
from course_utils.gated_backward import lstm_cell_backward
from course_utils.weights import keras_layer, random_weights

# name -> (cell, reset_after); each variant is one Keras weight layout.
VARIANTS = {
    "simple_rnn": ("simple_rnn", True),
    "gru_reset_after": ("gru", True),
    "gru_reset_before": ("gru", False),
    "lstm": ("lstm", True),
}
WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")


def _state_names(cell):
    return ("h0", "c0") if cell == "lstm" else ("h0",)


def _forward(cell, reset_after, args):
    """``(h_seq, c_last or None)`` from the reference, for ``args`` keyed by argument name."""
    if cell == "lstm":
        h_seq, c_seq = lstm.lstm_forward(**args)
        return h_seq, c_seq[:, -1]
    if cell == "gru":
        return gru.gru_forward(**args, reset_after=reset_after), None
    return simple_rnn.rnn_forward(**args), None


def _backward(cell, reset_after, dh_seq, dc_last, args):
    if cell == "lstm":
        return lstm_backward(dh_seq, **args, dc_last=dc_last)
    if cell == "gru":
        return gru_backward(dh_seq, **args, reset_after=reset_after)
    return simple_rnn.rnn_backward(dh_seq, **args)


def _loss(cell, reset_after, dh_seq, dc_last, args):
    h_seq, c_last = _forward(cell, reset_after, args)
    loss = np.sum(dh_seq * h_seq)
    return loss + np.sum(dc_last * c_last) if cell == "lstm" else loss


def _problem(rng, cell, reset_after, batch, steps, input_dim, units, dtype):
    """Random arguments (non-zero initial states) and upstream gradients."""
    weights = random_weights(cell, input_dim, units, reset_after=reset_after,
                             seed=int(rng.integers(1 << 30)), scale=0.8)
    args = {"x": rng.normal(size=(batch, steps, input_dim))}
    for name in _state_names(cell):
        args[name] = rng.uniform(-0.9, 0.9, size=(batch, units))
    args.update(zip(WEIGHT_NAMES, weights))
    args = {name: np.asarray(a, dtype=dtype) for name, a in args.items()}
    dh_seq = rng.normal(size=(batch, steps, units)).astype(dtype)
    dc_last = rng.normal(size=(batch, units)).astype(dtype) if cell == "lstm" else None
    return args, dh_seq, dc_last


def relative_error(got, expected):
    """max |got - expected| / max |expected|: scale-free, robust to entries near zero."""
    scale = max(np.abs(expected).max(), 1e-12)
    return np.abs(np.asarray(got, np.float64) - expected).max() / scale


def numerical_gradient(f, array, eps=1e-6):
    """Central differences of the scalar ``f()`` w.r.t. every entry of ``array`` (perturbed in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        plus = f()
        array[index] = saved - eps
        minus = f()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


# (batch, T, input_dim, units): batch 1, a single step, one unit, input_dim != units, square.
TAPE_SHAPES = [(2, 4, 3, 5), (1, 1, 2, 1), (3, 3, 4, 4)]


@pytest.mark.parametrize("shape", TAPE_SHAPES, ids=lambda s: "b{}_T{}_in{}_u{}".format(*s))
@pytest.mark.parametrize("variant", VARIANTS)
def test_gradients_match_tensorflow_autodiff_through_keras(rng, variant, shape):
    cell, reset_after = VARIANTS[variant]
    args, dh_seq, dc_last = _problem(rng, cell, reset_after, *shape, dtype=np.float32)
    layer = keras_layer(cell, *(args[n] for n in WEIGHT_NAMES), reset_after=reset_after,
                        return_sequences=True, return_state=True)
    x = tf.constant(args["x"])
    states = [tf.constant(args[name]) for name in _state_names(cell)]
    with tf.GradientTape() as tape:
        tape.watch([x, *states])
        outputs = layer(x, initial_state=states)
        loss = tf.reduce_sum(dh_seq * outputs[0])
        if cell == "lstm":
            loss += tf.reduce_sum(dc_last * outputs[2])  # outputs: h_seq, h_T, c_T
    variables = {v.path.rsplit("/", 1)[-1]: v for v in layer.trainable_weights}
    assert sorted(variables) == sorted(WEIGHT_NAMES)
    tf_grads = tape.gradient(loss, [x, *states, *(variables[n] for n in WEIGHT_NAMES)])
    names = ["x", *_state_names(cell), *WEIGHT_NAMES]

    # The reference in float64 on the same (float32) numbers.
    args64 = {name: a.astype(np.float64) for name, a in args.items()}
    ours = _backward(cell, reset_after, dh_seq.astype(np.float64),
                     None if dc_last is None else dc_last.astype(np.float64), args64)

    assert set(ours) == {"d" + name for name in names}
    for name, expected in zip(names, tf_grads):
        got = ours["d" + name]
        assert got.shape == args[name].shape, name
        error = relative_error(got, np.asarray(expected, np.float64))
        assert error < 1e-4, f"d{name}: relative error {error:.2e} against TensorFlow"


# Small shapes: finite differences cost two forward passes per parameter.
FD_SHAPES = [(2, 3, 3, 2), (1, 1, 1, 3), (2, 2, 2, 1)]


@pytest.mark.parametrize("shape", FD_SHAPES, ids=lambda s: "b{}_T{}_in{}_u{}".format(*s))
@pytest.mark.parametrize("variant", VARIANTS)
def test_gradients_match_finite_differences_in_float64(rng, variant, shape):
    cell, reset_after = VARIANTS[variant]
    args, dh_seq, dc_last = _problem(rng, cell, reset_after, *shape, dtype=np.float64)
    grads = _backward(cell, reset_after, dh_seq, dc_last, args)
    for name, array in args.items():
        numeric = numerical_gradient(lambda: _loss(cell, reset_after, dh_seq, dc_last, args), array)
        error = relative_error(grads["d" + name], numeric)
        assert error < 1e-6, f"d{name}: relative error {error:.2e} against finite differences"
        assert grads["d" + name].dtype == np.float64


@pytest.mark.parametrize("variant", VARIANTS)
def test_cell_backward_matches_finite_differences(rng, variant):
    """The per-step helpers (``*_cell_backward``) are checked on their own too."""
    cell, reset_after = VARIANTS[variant]
    args, dh_seq, dc_last = _problem(rng, cell, reset_after, 2, 1, 3, 2, dtype=np.float64)
    step = {"x_t": args.pop("x")[:, 0], "h_prev": args.pop("h0")}
    if cell == "lstm":
        step["c_prev"] = args.pop("c0")
    step.update(args)
    dh_next = dh_seq[:, 0]

    if cell == "lstm":
        grads = lstm_cell_backward(dh_next, dc_last, **step)

        def loss():
            h_next, c_next = lstm.lstm_cell_forward(**step)
            return np.sum(dh_next * h_next) + np.sum(dc_last * c_next)
    elif cell == "gru":
        grads = gru_cell_backward(dh_next, **step, reset_after=reset_after)

        def loss():
            return np.sum(dh_next * gru.gru_cell_forward(**step, reset_after=reset_after))
    else:
        grads = rnn_cell_backward(dh_next, **step)

        def loss():
            return np.sum(dh_next * simple_rnn.rnn_cell_forward(**step))

    assert set(grads) == {"d" + name for name in step}
    for name, array in step.items():
        error = relative_error(grads["d" + name], numerical_gradient(loss, array))
        assert error < 1e-6, f"d{name}: relative error {error:.2e} against finite differences"


@pytest.mark.parametrize("variant", VARIANTS)
def test_float32_in_gives_float32_gradients(rng, variant):
    cell, reset_after = VARIANTS[variant]
    args, dh_seq, dc_last = _problem(rng, cell, reset_after, 2, 3, 2, 3, dtype=np.float32)
    grads = _backward(cell, reset_after, dh_seq, dc_last, args)
    assert all(g.dtype == np.float32 for g in grads.values())


def test_lstm_without_dc_last_is_dc_last_zero(rng):
    args, dh_seq, dc_last = _problem(rng, "lstm", True, 2, 3, 2, 3, dtype=np.float64)
    without = lstm_backward(dh_seq, **args)
    with_zero = lstm_backward(dh_seq, **args, dc_last=np.zeros_like(dc_last))
    with_some = lstm_backward(dh_seq, **args, dc_last=dc_last)
    for name in without:
        np.testing.assert_array_equal(without[name], with_zero[name])
    assert np.abs(with_some["dc0"] - without["dc0"]).max() > 1e-3


def test_nan_in_the_upstream_gradient_propagates(rng):
    args, dh_seq, _ = _problem(rng, "gru", True, 2, 3, 2, 3, dtype=np.float64)
    dh_seq[0, 2, 0] = np.nan  # sample 0, last step
    grads = gru_backward(dh_seq, **args)
    assert np.isnan(grads["dx"][0]).all() and np.isfinite(grads["dx"][1]).all()
    assert np.isnan(grads["dkernel"]).any()
