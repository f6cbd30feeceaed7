"""GRU reference: forward and backward (BPTT), matching ``keras.layers.GRU``.

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

from ._shapes import check_sequence_inputs, check_step_inputs, check_upstream, to_common_float
from .activations import sigmoid

__all__ = ["gru_cell_forward", "gru_forward", "gru_cell_backward", "gru_backward"]


def _split_bias(bias, reset_after):
    """``(input_bias, recurrent_bias)``, each ``(3*units,)``; zeros stand in for the
    recurrent bias when ``reset_after=False`` (that form has none)."""
    if reset_after:
        return bias[0], bias[1]
    return bias, np.zeros_like(bias)


def _step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One step; returns ``h_next`` and the intermediates the backward pass needs."""
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


def _step_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    units = h_prev.shape[1]
    _, cache = _step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)
    z, r, h_tilde = cache["z"], cache["r"], cache["h_tilde"]
    U_zr, U_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]

    # h_next = z * h_prev + (1 - z) * h_tilde
    dh_prev = dh_next * z
    dz = dh_next * (h_prev - h_tilde)
    da_h = dh_next * (1 - z) * (1 - h_tilde**2)  # through tanh to the candidate's pre-activation

    if reset_after:
        dr = da_h * cache["h_proj_h"]
        dh_proj_h = da_h * r  # gradient of h_prev @ U_h + b'_h
        dU_h = h_prev.T @ dh_proj_h
        dh_prev = dh_prev + dh_proj_h @ U_h.T
    else:
        d_reset_h = da_h @ U_h.T  # gradient of r * h_prev
        dr = d_reset_h * h_prev
        dU_h = (r * h_prev).T @ da_h
        dh_prev = dh_prev + d_reset_h * r
        dh_proj_h = None

    da_zr = np.concatenate([dz * z * (1 - z), dr * r * (1 - r)], axis=1)  # sigmoid' = s (1 - s)
    da_x = np.concatenate([da_zr, da_h], axis=1)  # gradient of x_t @ kernel + input_bias
    dh_prev = dh_prev + da_zr @ U_zr.T
    dinput_bias = da_x.sum(axis=0)
    if reset_after:
        drecurrent_bias = np.concatenate([da_zr.sum(axis=0), dh_proj_h.sum(axis=0)])
        dbias = np.stack([dinput_bias, drecurrent_bias])
    else:
        dbias = dinput_bias
    return {
        "dx_t": da_x @ kernel.T,
        "dh_prev": dh_prev,
        "dkernel": x_t.T @ da_x,
        "drecurrent_kernel": np.concatenate([h_prev.T @ da_zr, dU_h], axis=1),
        "dbias": dbias,
    }


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


def gru_cell_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    """Backward of one GRU step, given the upstream gradient ``dh_next`` (batch, units).

    Returns a dict with ``dx_t`` (batch, input_dim), ``dh_prev`` (batch, units),
    ``dkernel``, ``drecurrent_kernel``, ``dbias`` (shaped like the weights).
    """
    dh_next, x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        dh_next=dh_next, x_t=x_t, h_prev=h_prev, kernel=kernel,
        recurrent_kernel=recurrent_kernel, bias=bias)
    batch, _, units = check_step_inputs("gru", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel,
                                        bias, reset_after=reset_after)
    check_upstream("dh_next", dh_next, (batch, units), "gradient of the loss w.r.t. h_next")
    return _step_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)


def gru_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    """Backpropagation through time for ``gru_forward``.

    ``dh_seq`` (batch, T, units) is the gradient of the loss w.r.t. every
    step's output.  Returns a dict with ``dx`` (batch, T, input_dim), ``dh0``
    (batch, units), ``dkernel``, ``drecurrent_kernel``, ``dbias`` (shaped like
    the weights: ``(2, 3*units)`` when ``reset_after=True``).
    """
    dh_seq, x, h0, kernel, recurrent_kernel, bias = to_common_float(
        dh_seq=dh_seq, x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, steps, _, units = check_sequence_inputs(
        "gru", x, {"h0": h0}, kernel, recurrent_kernel, bias, reset_after=reset_after)
    check_upstream("dh_seq", dh_seq, (batch, steps, units),
                   "gradient of the loss w.r.t. every step's output h_seq")

    h_seq = gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after)
    h_before = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)  # h_{t-1} for each t
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
    dh_carry = np.zeros_like(h0)  # gradient flowing back into h_t from step t+1
    for t in reversed(range(steps)):
        step = _step_backward(dh_seq[:, t] + dh_carry, x[:, t], h_before[:, t],
                              kernel, recurrent_kernel, bias, reset_after)
        dx[:, t] = step["dx_t"]
        for total, name in zip(dweights, ("dkernel", "drecurrent_kernel", "dbias")):
            total += step[name]  # shared weights: sum over steps
        dh_carry = step["dh_prev"]
    return {"dx": dx, "dh0": dh_carry, "dkernel": dweights[0],
            "drecurrent_kernel": dweights[1], "dbias": dweights[2]}
