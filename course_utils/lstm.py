"""LSTM reference: the forward pass, matching ``keras.layers.LSTM``.

Keras's gate order is ``i, f, c~, o`` (input, forget, candidate, output): each
weight is four blocks of ``units`` columns side by side.  One step::

    a = x_t @ kernel + h_prev @ recurrent_kernel + bias      (batch, 4*units)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    c~ = tanh(a_c)
    c_next = f * c_prev + i * c~          the cell state, carried step to step
    h_next = o * tanh(c_next)             the output, also carried

Shapes: ``x_t (batch, input_dim)``, ``h_prev, c_prev (batch, units)``,
``kernel (input_dim, 4*units)``, ``recurrent_kernel (units, 4*units)``,
``bias (4*units,)``.  Arithmetic is done in the inputs' floating dtype.  The backward pass
of one step is ``course_utils.gated_backward.lstm_cell_backward`` (lesson 05).
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, to_common_float
from .gated_backward import lstm_cell_gates

__all__ = ["lstm_cell_forward", "lstm_forward"]


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
