"""How a gradient travels back through a SimpleRNN: step Jacobians, their products,
and the gradient norm against time lag.

Conventions (Keras layout, batch first, row vectors)::

    h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)      (batch, units)

States are numbered ``h_0 = h0`` (the initial state) to ``h_T``;
``rnn_forward`` returns ``h_1 .. h_T`` as ``h_seq[:, 0] .. h_seq[:, T-1]``.

The step Jacobian of one example is the ``(units, units)`` matrix
``J_t[i, j] = d h_t[i] / d h_{t-1}[j]`` (rows follow the output ``h_t``,
columns the input ``h_{t-1}``).  Because a step computes ``h_{t-1} @ U`` (the
row vector on the left), ``d a_t[i] / d h_{t-1}[j] = U[j, i]``, hence::

    J_t = diag(1 - h_t**2) @ U.T          U = recurrent_kernel

A gradient row vector ``g_t = dL/dh_t`` goes back one step as
``g_{t-1} = g_t @ J_t = (g_t * (1 - h_t**2)) @ U.T``.
"""
import numpy as np

from ._shapes import check_sequence_inputs, check_step_inputs, check_upstream, to_common_float
from .simple_rnn import rnn_forward

__all__ = [
    "rnn_step_jacobian",
    "step_jacobian_from_state",
    "jacobian_products",
    "gradient_norms_by_lag",
    "weight_gradient_contributions",
    "scaled_orthogonal",
    "spectral_radius",
]


def step_jacobian_from_state(h_next, recurrent_kernel):
    """``diag(1 - h_next**2) @ recurrent_kernel.T`` for every example.

    ``h_next`` (batch, units) is the step's output, ``recurrent_kernel``
    (units, units).  Returns (batch, units, units), entry ``[b, i, j]`` =
    ``d h_next[b, i] / d h_prev[b, j]``.
    """
    slope = 1.0 - h_next**2                             # tanh'(a) = 1 - tanh(a)^2
    return slope[:, :, None] * recurrent_kernel.T[None, :, :]  # scales row i by slope[i]


def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias):
    """Jacobian of one SimpleRNN step with respect to the previous state.

    ``x_t`` (batch, input_dim), ``h_prev`` (batch, units), weights as
    ``layer.get_weights()``.  Returns (batch, units, units) with
    ``J[b, i, j] = d h_next[b, i] / d h_prev[b, j]``.
    """
    x_t, h_prev, kernel, recurrent_kernel, bias = to_common_float(
        x_t=x_t, h_prev=h_prev, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    check_step_inputs("simple_rnn", x_t, {"h_prev": h_prev}, kernel, recurrent_kernel, bias)
    h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return step_jacobian_from_state(h_next, recurrent_kernel)


def _forward_checked(x, h0, kernel, recurrent_kernel, bias):
    """Validated float inputs and all states ``h_0 .. h_T`` stacked: (batch, T+1, units)."""
    x, h0, kernel, recurrent_kernel, bias = to_common_float(
        x=x, h0=h0, kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias)
    check_sequence_inputs("simple_rnn", x, {"h0": h0}, kernel, recurrent_kernel, bias)
    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    states = np.concatenate([h0[:, None], h_seq], axis=1)
    return x, h0, kernel, recurrent_kernel, bias, states


def jacobian_products(x, h0, kernel, recurrent_kernel, bias):
    """``d h_T / d h_{T-k}`` for every lag ``k = 0 .. T``.

    Returns (batch, T+1, units, units); ``[:, 0]`` is the identity and
    ``[:, k] = J_T @ J_{T-1} @ ... @ J_{T-k+1}``, the product of ``k`` step
    Jacobians (the chain rule through ``k`` steps).  ``[:, T]`` is ``d h_T / d h0``.
    """
    _, _, _, recurrent_kernel, _, states = _forward_checked(x, h0, kernel, recurrent_kernel, bias)
    batch, steps_plus_1, units = states.shape
    products = np.empty((batch, steps_plus_1, units, units), dtype=states.dtype)
    products[:, 0] = np.eye(units, dtype=states.dtype)
    for k in range(1, steps_plus_1):
        J = step_jacobian_from_state(states[:, steps_plus_1 - k], recurrent_kernel)  # J_{T-k+1}
        products[:, k] = products[:, k - 1] @ J
    return products


def _gradients_by_lag(dh_last, recurrent_kernel, states):
    """``dL/dh_{T-k}`` for k = 0..T, stacked on axis 1: (batch, T+1, units)."""
    steps = states.shape[1] - 1
    grads = np.empty_like(states)
    g = dh_last
    grads[:, 0] = g
    for k in range(1, steps + 1):
        h_t = states[:, steps - k + 1]                  # the state that step produced
        g = (g * (1.0 - h_t**2)) @ recurrent_kernel.T  # g_{t-1} = g_t @ J_t
        grads[:, k] = g
    return grads


def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
    """Euclidean norm of ``dL/dh_{T-k}`` for each example and lag ``k = 0 .. T``.

    The loss depends on the last state only, through ``dh_last = dL/dh_T``
    (batch, units).  Returns (batch, T+1): ``[:, 0]`` is ``|dh_last|``,
    ``[:, T]`` is the norm of the gradient reaching ``h0``.
    """
    _, _, _, recurrent_kernel, _, states = _forward_checked(x, h0, kernel, recurrent_kernel, bias)
    dh_last = np.asarray(dh_last, dtype=states.dtype)
    check_upstream("dh_last", dh_last, states[:, -1].shape, "gradient of the loss w.r.t. h_T")
    grads = _gradients_by_lag(dh_last, recurrent_kernel, states)
    return np.sqrt((grads**2).sum(axis=-1))


def weight_gradient_contributions(dh_last, x, h0, kernel, recurrent_kernel, bias):
    """What each time lag adds to the weight gradients when the loss reads ``h_T`` only.

    Shared weights get one term per step; the term of step ``T-k`` carries
    the signal that travelled back ``k`` steps.  Returns a dict with
    ``dkernel`` (T, input_dim, units), ``drecurrent_kernel`` (T, units, units)
    and ``dbias`` (T, units), indexed by lag ``k = 0 .. T-1`` and summed over
    the batch; the sum over axis 0 is the full gradient (as ``rnn_backward``
    with ``dh_seq`` zero except at the last step).
    """
    x, _, _, recurrent_kernel, _, states = _forward_checked(x, h0, kernel, recurrent_kernel, bias)
    dh_last = np.asarray(dh_last, dtype=states.dtype)
    check_upstream("dh_last", dh_last, states[:, -1].shape, "gradient of the loss w.r.t. h_T")
    steps = x.shape[1]
    grads = _gradients_by_lag(dh_last, recurrent_kernel, states)
    lags = np.arange(steps)
    t = steps - lags                                    # step index 1..T of each lag
    da = grads[:, lags] * (1.0 - states[:, t] ** 2)     # (batch, T, units) by lag
    return {
        "dkernel": np.einsum("bki,bku->kiu", x[:, t - 1], da),
        "drecurrent_kernel": np.einsum("bki,bku->kiu", states[:, t - 1], da),
        "dbias": da.sum(axis=0),
    }


def scaled_orthogonal(units, spectral_radius, seed=None):
    """A random orthogonal (units, units) matrix times ``spectral_radius`` (float64).

    Every eigenvalue has modulus ``spectral_radius`` and every singular value
    equals it, so ``|v @ U| = spectral_radius * |v|`` for every vector ``v``:
    the cleanest way to set how much one step scales a gradient.
    """
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((units, units)))
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    return spectral_radius * q


def spectral_radius(matrix):
    """Largest eigenvalue modulus of a square matrix."""
    return float(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=np.float64))).max())
