"""Backward pass of one LSTM step, written in the order lesson 05 derives it.

The forward step (Keras gate order ``i, f, c~, o``; see ``course_utils.lstm``)::

    a      = x_t @ kernel + h_prev @ recurrent_kernel + bias     (batch, 4*units)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    c~     = tanh(a_c)
    c_next = f * c_prev + i * c~
    h_next = o * tanh(c_next)

Given the upstream gradients ``dh_next = dL/dh_next`` and ``dc_next = dL/dc_next``
(the part of dL/dc_next that does *not* go through ``h_next``, i.e. what the
next step sends back), the backward pass runs the same lines in reverse:

1. ``dc = dc_next + dh_next * o * (1 - tanh(c_next)**2)``  - the two routes into ``c_next``;
2. the four pre-activation gradients ``da`` (``sigmoid' = s (1 - s)``, ``tanh' = 1 - tanh**2``);
3. ``dc_prev = dc * f``  - the additive path of the cell state;
4. ``da`` goes back through the matrix products to ``x_t``, ``h_prev`` and the weights.

The code is split at those points (``lstm_cell_gates``, ``lstm_gate_gradients``,
``project_gate_gradients``), one function per line of the derivation.  This is
the course's only one-step LSTM backward: the hidden check of lesson 05
(``course_utils.checks.gated_backward``) and ``course_utils.fallback`` use it, and
``lstm_cell_gates`` is also the forward step of ``course_utils.lstm``.
"""
import numpy as np

from ._shapes import check_step_inputs, check_upstream, to_common_float
from .activations import sigmoid

__all__ = ["GRADIENT_KEYS", "lstm_cell_gates", "lstm_gate_gradients",
           "project_gate_gradients", "lstm_cell_backward"]

# The keys of the dict that lstm_cell_backward returns, in the order they are explained.
GRADIENT_KEYS = ("dx_t", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


def lstm_cell_gates(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Forward step that keeps what the backward pass needs.

    Returns a dict of (batch, units) arrays: the gates ``i``, ``f``, ``o``, the
    candidate ``c_tilde``, ``c_next``, ``tanh_c = tanh(c_next)`` and ``h_next``.
    """
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    c_tilde = np.tanh(a_c)
    c_next = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c_next)
    return {"i": i, "f": f, "o": o, "c_tilde": c_tilde,
            "c_next": c_next, "tanh_c": tanh_c, "h_next": o * tanh_c}


def lstm_gate_gradients(dh_next, dc_next, c_prev, gates):
    """Steps 1-3: gradients of the pre-activations and of ``c_prev``.

    Returns ``(da, dc, dc_prev)``: ``da`` (batch, 4*units) in Keras's order
    ``i, f, c~, o``; ``dc`` = total dL/dc_next; ``dc_prev`` (batch, units).
    """
    i, f, o, c_tilde, tanh_c = (gates[k] for k in ("i", "f", "o", "c_tilde", "tanh_c"))
    # h_next = o * tanh(c_next): the output gate sees tanh(c_next), c_next sees o * tanh'.
    do = dh_next * tanh_c
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    # c_next = f * c_prev + i * c_tilde: each factor's gradient is dc times the other factor.
    df = dc * c_prev
    di = dc * c_tilde
    dc_tilde = dc * i
    dc_prev = dc * f  # the additive path: no matrix, no squashing, just the forget gate
    da = np.concatenate([
        di * i * (1 - i),                    # sigmoid'(a) = s (1 - s)
        df * f * (1 - f),
        dc_tilde * (1 - c_tilde**2),         # tanh'(a) = 1 - tanh(a)**2
        do * o * (1 - o),
    ], axis=1)
    return da, dc, dc_prev


def project_gate_gradients(da, x_t, h_prev, kernel, recurrent_kernel):
    """Step 4: send ``da`` (batch, 4*units) back through
    ``a = x_t @ kernel + h_prev @ recurrent_kernel + bias``.

    Returns a dict with ``dx_t``, ``dh_prev``, ``dkernel``, ``drecurrent_kernel``
    and ``dbias``; the weight gradients are summed over the batch, so each has
    the shape of its weight.
    """
    return {
        "dx_t": da @ kernel.T,                  # (batch, input_dim)
        "dh_prev": da @ recurrent_kernel.T,     # (batch, units)
        "dkernel": x_t.T @ da,                  # (input_dim, 4*units)
        "drecurrent_kernel": h_prev.T @ da,     # (units, 4*units)
        "dbias": da.sum(axis=0),                # (4*units,)
    }


def lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Gradients of one LSTM step (``course_utils.lstm.lstm_cell_forward``).

    ``dh_next``, ``dc_next`` (batch, units) are dL/dh_next and the gradient
    arriving at c_next from the next step.  Returns a dict with ``dx_t``
    (batch, input_dim), ``dh_prev``, ``dc_prev`` (batch, units), ``dkernel``,
    ``drecurrent_kernel``, ``dbias`` (shaped like the weights).
    """
    dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias = to_common_float(
        dh_next=dh_next, dc_next=dc_next, x_t=x_t, h_prev=h_prev, c_prev=c_prev,
        kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    batch, _, units = check_step_inputs("lstm", x_t, {"h_prev": h_prev, "c_prev": c_prev},
                                        kernel, recurrent_kernel, bias)
    check_upstream("dh_next", dh_next, (batch, units), "gradient of the loss w.r.t. h_next")
    check_upstream("dc_next", dc_next, (batch, units), "gradient arriving at c_next")
    gates = lstm_cell_gates(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)
    da, _, dc_prev = lstm_gate_gradients(dh_next, dc_next, c_prev, gates)
    grads = project_gate_gradients(da, x_t, h_prev, kernel, recurrent_kernel)
    grads["dc_prev"] = dc_prev
    return {key: grads[key] for key in GRADIENT_KEYS}
