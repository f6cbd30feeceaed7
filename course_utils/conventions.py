"""The GRU's two textbook conventions for the update, and how to move weights between them.

Keras (like Cho et al. 2014, PyTorch and d2l) writes the update as::

    h_t = z * h_{t-1} + (1 - z) * h~_t          "z keeps":   z = 1 copies the old state

Others (Chung et al. 2014, Wikipedia, many lecture slides) write::

    h_t = z * h~_t + (1 - z) * h_{t-1}          "z writes":  z = 1 takes the candidate

Both describe the same family of functions.  The gate is ``z = sigmoid(a)``
with ``a = x_t @ W_z + h_{t-1} @ U_z + b_z`` (plus ``b'_z`` with two bias rows),
and ``1 - sigmoid(a) = sigmoid(-a)``: negating the z block of every weight
turns one convention's gate into the other's ``1 - z``.  The reset gate and the
candidate do not change.  The conversion is its own inverse.

Shapes (Keras layout): ``kernel (input_dim, 3*units)``, ``recurrent_kernel
(units, 3*units)``, ``bias (2, 3*units)`` with ``reset_after=True`` or
``(3*units,)`` with ``reset_after=False``; the z block is columns ``[0, units)``.
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, to_common_float, weight_shapes
from .activations import sigmoid

__all__ = [
    "update_gate_columns",
    "flip_update_convention",
    "textbook_gru_cell_forward",
    "textbook_gru_forward",
]


def update_gate_columns(units):
    """The columns of every GRU weight that belong to the update gate z (Keras order z, r, h~)."""
    return slice(0, units)


def flip_update_convention(kernel, recurrent_kernel, bias, reset_after=True):
    """Convert GRU weights between the "z writes" and the "z keeps" (Keras) convention.

    Returns new ``(kernel, recurrent_kernel, bias)`` with the update gate's
    columns negated in all three (in both bias rows when ``reset_after=True``),
    so that the new ``z`` is the old ``1 - z``.  The inputs are not modified.
    """
    kernel, recurrent_kernel, bias = to_common_float(
        kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != 3 * recurrent_kernel.shape[0]:
        raise ValueError(f"recurrent_kernel must have shape (units, 3*units), got shape "
                         f"{recurrent_kernel.shape}")
    units = recurrent_kernel.shape[0]
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (input_dim, 3*units), got shape {kernel.shape}")
    expected = weight_shapes("gru", kernel.shape[0], units, reset_after)
    for name, weight, shape in zip(("kernel", "recurrent_kernel", "bias"),
                                   (kernel, recurrent_kernel, bias), expected):
        if weight.shape != shape:
            raise ValueError(f"{name} must have shape {shape} for a GRU with {units} units "
                             f"and reset_after={reset_after}, got {weight.shape}")
    z = update_gate_columns(units)
    flipped = [kernel.copy(), recurrent_kernel.copy(), bias.copy()]
    for weight in flipped:
        weight[..., z] *= -1  # `...` reaches both bias rows when the bias is (2, 3*units)
    return tuple(flipped)


def _textbook_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One step in the "z writes" convention, written out from the equations."""
    units = h_prev.shape[1]
    W_z, W_r, W_h = np.split(kernel, 3, axis=1)
    U_z, U_r, U_h = np.split(recurrent_kernel, 3, axis=1)
    if reset_after:
        (b_z, b_r, b_h), (rb_z, rb_r, rb_h) = np.split(bias[0], 3), np.split(bias[1], 3)
    else:
        (b_z, b_r, b_h), rb_z, rb_r, rb_h = np.split(bias, 3), 0.0, 0.0, np.zeros(units)
    z = sigmoid(x_t @ W_z + b_z + h_prev @ U_z + rb_z)
    r = sigmoid(x_t @ W_r + b_r + h_prev @ U_r + rb_r)
    if reset_after:
        h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + rb_h))
    else:
        h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)
    return z * h_tilde + (1 - z) * h_prev


def textbook_gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    """One GRU step with ``h_next = z * h~ + (1 - z) * h_prev``; shapes as ``gru.gru_cell_forward``."""
    x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        x_t=x_t, h_prev=h_prev, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    check_step_inputs("gru", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel, bias,
                      reset_after=reset_after)
    return _textbook_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)


def textbook_gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    """``textbook_gru_cell_forward`` over a sequence: ``x (batch, T, input_dim) -> h_seq (batch, T, units)``."""
    x, h0, kernel, recurrent_kernel, bias = to_common_float(
        x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "gru", x, {"h0": h0}, kernel, recurrent_kernel, bias, reset_after=reset_after)
    h_seq = np.empty((batch, steps, units), dtype=x.dtype)
    h = h0
    for t in range(steps):
        h = _textbook_step(x[:, t], h, kernel, recurrent_kernel, bias, reset_after)
        h_seq[:, t] = h
    return h_seq
