"""GRU reference: the forward pass, matching ``keras.layers.GRU``.

Keras's gate order is ``z, r, h~`` (update, reset, candidate): each weight is
three blocks of ``units`` columns side by side.  One step::

    z  = sigmoid(x_t @ W_z + b_z + h_prev @ U_z + b'_z)            update gate
    r  = sigmoid(x_t @ W_r + b_r + h_prev @ U_r + b'_r)            reset gate
    h~ = tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + b'_h))         reset_after=True
    h~ = tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)                reset_after=False
    h_next = z * h_prev + (1 - z) * h~

``b`` is the input bias and ``b'`` the recurrent bias.  With
``reset_after=True`` (Keras's default, the cuDNN form) ``bias`` has shape
``(2, 3*units)``: row 0 is ``b``, row 1 is ``b'``.  With ``reset_after=False``
``bias`` has shape ``(3*units,)`` and there is no ``b'``.

Shapes: ``x_t (batch, input_dim)``, ``h_prev (batch, units)``,
``kernel (input_dim, 3*units)``, ``recurrent_kernel (units, 3*units)``.
Arithmetic is done in the inputs' floating dtype (float32 in, float32 out).
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, to_common_float
from .activations import sigmoid

__all__ = ["gru_cell_forward", "gru_forward"]


def _split_bias(bias, reset_after):
    """``(input_bias, recurrent_bias)``, each ``(3*units,)``; zeros stand in for the
    recurrent bias when ``reset_after=False`` (that form has none)."""
    if reset_after:
        return bias[0], bias[1]
    return bias, np.zeros_like(bias)


def _step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One step; returns ``h_next`` and the intermediates a backward pass needs (the tests'
    reference BPTT, ``tests/bptt_oracle.py``)."""
    units = h_prev.shape[1]
    input_bias, recurrent_bias = _split_bias(bias, reset_after)
    x_proj = x_t @ kernel + input_bias  # (batch, 3*units), blocks z | r | h~
    U_zr, U_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]
    h_proj_zr = h_prev @ U_zr + recurrent_bias[:2 * units]
    z = sigmoid(x_proj[:, :units] + h_proj_zr[:, :units])
    r = sigmoid(x_proj[:, units:2 * units] + h_proj_zr[:, units:])
    if reset_after:
        h_proj_h = h_prev @ U_h + recurrent_bias[2 * units:]  # reset applied after the product
        h_tilde = np.tanh(x_proj[:, 2 * units:] + r * h_proj_h)
    else:
        h_proj_h = None
        h_tilde = np.tanh(x_proj[:, 2 * units:] + (r * h_prev) @ U_h)
    h_next = z * h_prev + (1 - z) * h_tilde
    return h_next, {"z": z, "r": r, "h_tilde": h_tilde, "h_proj_h": h_proj_h}


def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    """One GRU step: ``(batch, input_dim), (batch, units) -> h_next (batch, units)``."""
    x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        x_t=x_t, h_prev=h_prev, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    check_step_inputs("gru", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel, bias,
                      reset_after=reset_after)
    return _step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)[0]


def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    """Run the GRU over a sequence: ``x (batch, T, input_dim), h0 (batch, units) -> h_seq (batch, T, units)``."""
    x, h0, kernel, recurrent_kernel, bias = to_common_float(
        x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "gru", x, {"h0": h0}, kernel, recurrent_kernel, bias, reset_after=reset_after)
    h_seq = np.empty((batch, steps, units), dtype=x.dtype)
    h = h0
    for t in range(steps):
        h = _step(x[:, t], h, kernel, recurrent_kernel, bias, reset_after)[0]
        h_seq[:, t] = h
    return h_seq
