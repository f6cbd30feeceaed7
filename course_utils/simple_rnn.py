"""SimpleRNN reference: forward and backward (BPTT), matching ``keras.layers.SimpleRNN``.

One step::

    h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)

Shapes (batch first, weights exactly as ``layer.get_weights()``)::

    x_t               (batch, input_dim)        x       (batch, T, input_dim)
    h_prev, h_next    (batch, units)            h_seq   (batch, T, units)
    kernel            (input_dim, units)
    recurrent_kernel  (units, units)
    bias              (units,)

Arithmetic is done in the inputs' floating dtype (float32 in, float32 out).
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, check_upstream, to_common_float

__all__ = ["rnn_cell_forward", "rnn_forward", "rnn_backward"]


def _step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


def _step_backward(dh_next, x_t, h_prev, h_next, kernel, recurrent_kernel):
    """Gradients of one step given the upstream ``dh_next`` and the step's output ``h_next``."""
    da = dh_next * (1 - h_next**2)  # tanh'(a) = 1 - tanh(a)^2; a is the pre-activation
    return {
        "dx_t": da @ kernel.T,
        "dh_prev": da @ recurrent_kernel.T,
        "dkernel": x_t.T @ da,
        "drecurrent_kernel": h_prev.T @ da,
        "dbias": da.sum(axis=0),
    }


def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    """One SimpleRNN step: ``(batch, input_dim), (batch, units) -> h_next (batch, units)``."""
    x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        x_t=x_t, h_prev=h_prev, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    check_step_inputs("simple_rnn", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel, bias)
    return _step(x_t, h_prev, kernel, recurrent_kernel, bias)


def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    """Run the cell over a sequence: ``x (batch, T, input_dim), h0 (batch, units) -> h_seq (batch, T, units)``.

    The same weights serve every step and each step starts from the previous
    step's state; ``h_seq[:, t]`` is the state after reading ``x[:, t]``.
    """
    x, h0, kernel, recurrent_kernel, bias = to_common_float(
        x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "simple_rnn", x, {"h0": h0}, kernel, recurrent_kernel, bias)
    h_seq = np.empty((batch, steps, units), dtype=x.dtype)
    h = h0
    for t in range(steps):
        h = _step(x[:, t], h, kernel, recurrent_kernel, bias)
        h_seq[:, t] = h
    return h_seq


def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """Backpropagation through time for ``rnn_forward``.

    ``dh_seq`` (batch, T, units) is the gradient of the loss w.r.t. every
    step's output ``h_seq``.  Returns a dict with ``dx`` (batch, T, input_dim),
    ``dh0`` (batch, units), ``dkernel``, ``drecurrent_kernel``, ``dbias``.
    """
    dh_seq, x, h0, kernel, recurrent_kernel, bias = to_common_float(
        dh_seq=dh_seq, x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "simple_rnn", x, {"h0": h0}, kernel, recurrent_kernel, bias)
    check_upstream("dh_seq", dh_seq, (batch, steps, units),
                   "gradient of the loss w.r.t. every step's output h_seq")

    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_before = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)  # h_{t-1} for each t
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
    dh_carry = np.zeros_like(h0)  # gradient flowing back into h_t from step t+1
    for t in reversed(range(steps)):
        step = _step_backward(dh_seq[:, t] + dh_carry, x[:, t], h_before[:, t], h_seq[:, t],
                              kernel, recurrent_kernel)
        dx[:, t] = step["dx_t"]
        for total, name in zip(dweights, ("dkernel", "drecurrent_kernel", "dbias")):
            total += step[name]  # shared weights: sum over steps
        dh_carry = step["dh_prev"]
    return {"dx": dx, "dh0": dh_carry, "dkernel": dweights[0],
            "drecurrent_kernel": dweights[1], "dbias": dweights[2]}
