"""Reference backward passes that only the tests use: BPTT for the LSTM and the GRU, and one
backward step of the GRU and of the SimpleRNN.

They are the oracle the tests hold the course's forward cells and its one-step LSTM backward
(``course_utils.gated_backward``, lesson 05) against, and are themselves checked against
TensorFlow's autodiff and finite differences (``tests/test_backward.py``).  The course ships
the backward passes that a lesson or a checker uses: ``course_utils.simple_rnn.rnn_backward``
(lesson 02) and ``course_utils.gated_backward.lstm_cell_backward`` (lesson 05).

Shapes and weights as in ``course_utils.simple_rnn`` / ``gru`` / ``lstm`` (batch first,
Keras's layout); arithmetic in the inputs' floating dtype.
"""
import numpy as np

from course_utils import gru, lstm, simple_rnn
from course_utils._shapes import check_sequence_inputs, check_step_inputs, check_upstream, to_common_float
from course_utils.gated_backward import lstm_cell_backward

__all__ = ["rnn_cell_backward", "gru_cell_backward", "gru_backward", "lstm_backward"]


def rnn_cell_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias):
    """Backward of one SimpleRNN step, given the upstream gradient ``dh_next`` (batch, units).

    Returns a dict with ``dx_t`` (batch, input_dim), ``dh_prev`` (batch, units),
    ``dkernel``, ``drecurrent_kernel``, ``dbias`` (shaped like the weights).
    """
    dh_next, x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        dh_next=dh_next, x_t=x_t, h_prev=h_prev, kernel=kernel,
        recurrent_kernel=recurrent_kernel, bias=bias)
    batch, _, units = check_step_inputs(
        "simple_rnn", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel, bias)
    check_upstream("dh_next", dh_next, (batch, units), "gradient of the loss w.r.t. h_next")
    h_next = simple_rnn._step(x_t, h_prev, kernel, recurrent_kernel, bias)
    return simple_rnn._step_backward(dh_next, x_t, h_prev, h_next, kernel, recurrent_kernel)


# ---------------------------------------------------------------- GRU

def _gru_step_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One GRU step backward, from the intermediates of ``course_utils.gru``'s forward step."""
    units = h_prev.shape[1]
    _, cache = gru._step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)
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
    return _gru_step_backward(dh_next, x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)


def gru_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    """Backpropagation through time for ``course_utils.gru.gru_forward``.

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

    h_seq = gru.gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after)
    h_before = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)  # h_{t-1} for each t
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
    dh_carry = np.zeros_like(h0)  # gradient flowing back into h_t from step t+1
    for t in reversed(range(steps)):
        step = _gru_step_backward(dh_seq[:, t] + dh_carry, x[:, t], h_before[:, t],
                                  kernel, recurrent_kernel, bias, reset_after)
        dx[:, t] = step["dx_t"]
        for total, name in zip(dweights, ("dkernel", "drecurrent_kernel", "dbias")):
            total += step[name]  # shared weights: sum over steps
        dh_carry = step["dh_prev"]
    return {"dx": dx, "dh0": dh_carry, "dkernel": dweights[0],
            "drecurrent_kernel": dweights[1], "dbias": dweights[2]}


# ---------------------------------------------------------------- LSTM

def lstm_backward(dh_seq, x, h0, c0, kernel, recurrent_kernel, bias, dc_last=None):
    """Backpropagation through time for ``course_utils.lstm.lstm_forward``.

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

    h_seq, c_seq = lstm.lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias)
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
