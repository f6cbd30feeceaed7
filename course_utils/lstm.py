"""LSTM reference: forward and backward (BPTT), matching ``keras.layers.LSTM``.

Keras's gate order is ``i, f, c~, o`` (input, forget, candidate, output): each
weight is four blocks of ``units`` columns side by side.  One step::

    a = x_t @ kernel + h_prev @ recurrent_kernel + bias      (batch, 4*units)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    c~ = tanh(a_c)
    c_next = f * c_prev + i * c~          the cell state, carried step to step
    h_next = o * tanh(c_next)             the output, also carried

Shapes: ``x_t (batch, input_dim)``, ``h_prev, c_prev (batch, units)``,
``kernel (input_dim, 4*units)``, ``recurrent_kernel (units, 4*units)``,
``bias (4*units,)``.  Arithmetic is done in the inputs' floating dtype.
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, check_upstream, to_common_float
from .gated_backward import lstm_cell_backward, lstm_cell_gates

__all__ = ["lstm_cell_forward", "lstm_forward", "lstm_backward"]


def _step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One step: ``h_next, c_next`` (the forward of ``course_utils.gated_backward``)."""
    gates = lstm_cell_gates(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)
    return gates["h_next"], gates["c_next"]


def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step: returns ``(h_next, c_next)``, each (batch, units)."""
    x_t, h_prev, c_prev, kernel, recurrent_kernel, bias = to_common_float(
        x_t=x_t, h_prev=h_prev, c_prev=c_prev, kernel=kernel,
        recurrent_kernel=recurrent_kernel, bias=bias)
    check_step_inputs("lstm", x_t, {"h_prev": h_prev, "c_prev": c_prev},
                      kernel, recurrent_kernel, bias)
    return _step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)


def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    """Run the LSTM over a sequence: returns ``(h_seq, c_seq)``, each (batch, T, units).

    ``h_seq[:, t]`` and ``c_seq[:, t]`` are the output and the cell state after
    reading ``x[:, t]``; both are carried to the next step.
    """
    x, h0, c0, kernel, recurrent_kernel, bias = to_common_float(
        x=x, h0=h0, c0=c0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "lstm", x, {"h0": h0, "c0": c0}, kernel, recurrent_kernel, bias)
    h_seq = np.empty((batch, steps, units), dtype=x.dtype)
    c_seq = np.empty((batch, steps, units), dtype=x.dtype)
    h, c = h0, c0
    for t in range(steps):
        h, c = _step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        h_seq[:, t], c_seq[:, t] = h, c
    return h_seq, c_seq


def lstm_backward(dh_seq, x, h0, c0, kernel, recurrent_kernel, bias, dc_last=None):
    """Backpropagation through time for ``lstm_forward``.

    ``dh_seq`` (batch, T, units) is the gradient of the loss w.r.t. every
    step's output ``h_seq``; ``dc_last`` (batch, units), optional, the gradient
    w.r.t. the final cell state ``c_seq[:, -1]``.  Returns a dict with ``dx``
    (batch, T, input_dim), ``dh0``, ``dc0`` (batch, units), ``dkernel``,
    ``drecurrent_kernel``, ``dbias`` (shaped like the weights).
    """
    dh_seq, dc_last, x, h0, c0, kernel, recurrent_kernel, bias = to_common_float(
        dh_seq=dh_seq, dc_last=dc_last, x=x, h0=h0, c0=c0, kernel=kernel,
        recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "lstm", x, {"h0": h0, "c0": c0}, kernel, recurrent_kernel, bias)
    check_upstream("dh_seq", dh_seq, (batch, steps, units),
                   "gradient of the loss w.r.t. every step's output h_seq")
    if dc_last is None:
        dc_last = np.zeros_like(c0)
    check_upstream("dc_last", dc_last, (batch, units),
                   "gradient of the loss w.r.t. the final cell state")

    h_seq, c_seq = lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias)
    h_before = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)  # h_{t-1} for each t
    c_before = np.concatenate([c0[:, None], c_seq[:, :-1]], axis=1)  # c_{t-1} for each t
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
    dh_carry, dc_carry = np.zeros_like(h0), dc_last  # gradients flowing back from step t+1
    for t in reversed(range(steps)):
        step = lstm_cell_backward(dh_seq[:, t] + dh_carry, dc_carry, x[:, t], h_before[:, t],
                                  c_before[:, t], kernel, recurrent_kernel, bias)
        dx[:, t] = step["dx_t"]
        for total, name in zip(dweights, ("dkernel", "drecurrent_kernel", "dbias")):
            total += step[name]  # shared weights: sum over steps
        dh_carry, dc_carry = step["dh_prev"], step["dc_prev"]
    return {"dx": dx, "dh0": dh_carry, "dc0": dc_carry, "dkernel": dweights[0],
            "drecurrent_kernel": dweights[1], "dbias": dweights[2]}
