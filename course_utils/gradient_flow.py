"""Measuring how far back a gradient reaches in SimpleRNN, GRU and LSTM layers.

Two measurements, both indexed by the time lag ``k`` (``k = 0`` is the last step):

* ``gradient_norms_by_lag(layer, x)`` - for a real Keras layer, with
  ``tf.GradientTape``: how strongly the final output ``h_T`` depends on the
  input ``k`` steps before the end, ``|| d h_T / d x_{T-k} ||``.
* ``state_path_norms(cell, x, ...)`` - for the numpy reference cells: the
  state-to-state Jacobian ``d s_T / d s_{T-k}`` (``s = c`` for the LSTM,
  ``s = h`` for the GRU) next to the single *gate path* inside it, the product
  of the forget gates ``f`` (LSTM) or update gates ``z`` (GRU) along the way.
  Lesson 05 derives why the Jacobian is a sum of paths and the gate path is one
  of them.

Norms are Frobenius norms, averaged over the batch.  Keras and TensorFlow are
imported inside the functions that need them, so the numpy measurement works
without paying for TensorFlow's import.
"""
import numpy as np

from ._shapes import CELL_LABELS
from .activations import sigmoid

__all__ = ["CELLS", "CELL_LABELS", "recurrent_layer", "adding_model",
           "gradient_norms_by_lag", "state_path_norms"]

CELLS = ("simple_rnn", "gru", "lstm")
_LAYERS = {"simple_rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}


def recurrent_layer(cell, units, **kwargs):
    """A fresh ``keras.layers.SimpleRNN`` / ``GRU`` / ``LSTM`` with Keras's default initialisers."""
    import keras

    if cell not in _LAYERS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    return getattr(keras.layers, _LAYERS[cell])(units, name=cell, **kwargs)


def adding_model(cell, seq_len, units=16, learning_rate=1e-2):
    """Recurrent layer + ``Dense(1)`` for the adding problem, compiled with Adam and MSE.

    Input (batch, seq_len, 2), output (batch, 1).  ``model.layers[0]`` is the
    recurrent layer, which returns only its last output ``h_T``.
    """
    import keras

    model = keras.Sequential([keras.Input((seq_len, 2)), recurrent_layer(cell, units),
                              keras.layers.Dense(1, name="readout")], name=f"adding_{cell}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def gradient_norms_by_lag(layer, x):
    """``norms[k]`` = mean over the batch of ``|| d h_T / d x_{T-k} ||_F``, shape (T,).

    ``layer`` maps ``x`` (batch, T, input_dim) to ``h_T`` (batch, units) - a
    Keras recurrent layer with ``return_sequences=False`` or a model whose
    first layer is one (then ``model.layers[0]`` is used).

    Row ``j`` of an example's Jacobian is the gradient of ``h_T[j]``.  Examples
    do not interact, so all rows come out of ONE backward pass over ``units``
    stacked copies of the batch, copy ``j`` asking for row ``j`` (memory grows
    as units * batch; 16 units and 64 sequences of 40 steps are instant).
    """
    import keras
    import tensorflow as tf

    if isinstance(layer, keras.Model):
        layer = layer.layers[0]
    x = np.asarray(x, dtype=np.float32)
    batch, steps, features = x.shape
    units = _output_units(layer, x)
    x_copies = tf.constant(np.tile(x, (units, 1, 1)))                  # (units*batch, T, d)
    pick = np.repeat(np.eye(units, dtype=np.float32), batch, axis=0)   # copy j -> unit j
    with tf.GradientTape() as tape:
        tape.watch(x_copies)
        picked = tf.reduce_sum(_last_output(layer(x_copies)) * pick)
    grad = tape.gradient(picked, x_copies).numpy().astype(np.float64)
    squared = (grad.reshape(units, batch, steps, features) ** 2).sum(axis=(0, 3))  # (batch, T)
    return np.sqrt(squared).mean(axis=0)[::-1]  # reversed: index = lag


def _last_output(out):
    """``h_T`` from what a recurrent layer returns (return_state and return_sequences allowed)."""
    if isinstance(out, (list, tuple)):   # return_state=True: the output comes first
        out = out[0]
    if len(out.shape) == 3:              # return_sequences=True: keep the last step
        out = out[:, -1]
    return out


def _output_units(layer, x):
    """Number of units of ``h_T``, read from one call on the first example."""
    return int(_last_output(layer(x[:1])).shape[-1])


def _lstm_step_jacobians(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step: ``(h, c)`` after it, the Jacobian d(h,c)_t / d(h,c)_{t-1} and ``f``.

    Jacobian rows index the new state, columns the old one; shape
    (batch, 2*units, 2*units), blocks ``[[dh/dh, dh/dc], [dc/dh, dc/dc]]``.
    """
    units = h_prev.shape[1]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    a_i, a_f, a_c, a_o = np.split(a, 4, axis=1)
    i, f, o, c_tilde = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o), np.tanh(a_c)
    c_next = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c_next)
    U_i, U_f, U_c, U_o = (u.T[None] for u in np.split(recurrent_kernel, 4, axis=1))
    eye = np.eye(units)[None]

    def rows(v):                       # diag(v) @ M, for a batch of row scalings
        return v[:, :, None]

    # c_next = f * c_prev + i * c~ : h_prev enters through the three gates' pre-activations.
    dc_dh = rows(c_prev * f * (1 - f)) * U_f + rows(c_tilde * i * (1 - i)) * U_i \
        + rows(i * (1 - c_tilde**2)) * U_c
    dc_dc = rows(f) * eye              # the additive path
    # h_next = o * tanh(c_next)
    dtanh = rows(o * (1 - tanh_c**2))
    dh_dh = rows(tanh_c * o * (1 - o)) * U_o + dtanh * dc_dh
    dh_dc = dtanh * dc_dc
    jac = np.concatenate([np.concatenate([dh_dh, dh_dc], axis=2),
                          np.concatenate([dc_dh, dc_dc], axis=2)], axis=1)
    return o * tanh_c, c_next, jac, f


def _gru_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One GRU step: ``h`` after it, d h_t / d h_{t-1} (batch, units, units) and ``z``."""
    units = h_prev.shape[1]
    if reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros_like(bias)
    x_proj = x_t @ kernel + input_bias
    h_proj = h_prev @ recurrent_kernel + recurrent_bias
    z = sigmoid(x_proj[:, :units] + h_proj[:, :units])
    r = sigmoid(x_proj[:, units:2 * units] + h_proj[:, units:2 * units])
    U_z, U_r, U_h = (u.T[None] for u in np.split(recurrent_kernel, 3, axis=1))
    eye = np.eye(units)[None]

    def rows(v):
        return v[:, :, None]

    if reset_after:
        h_tilde = np.tanh(x_proj[:, 2 * units:] + r * h_proj[:, 2 * units:])
        da_h = rows(r) * U_h + rows(h_proj[:, 2 * units:] * r * (1 - r)) * U_r
    else:
        reset_h = r * h_prev
        h_tilde = np.tanh(x_proj[:, 2 * units:] + reset_h @ recurrent_kernel[:, 2 * units:])
        # d (r * h_prev) / d h_prev = diag(r) + diag(h_prev * r') U_r^T
        d_reset_h = rows(r) * eye + rows(h_prev * r * (1 - r)) * U_r
        da_h = U_h @ d_reset_h
    # h_next = z * h_prev + (1 - z) * h~
    jac = rows(z) * eye + rows((h_prev - h_tilde) * z * (1 - z)) * U_z \
        + rows((1 - z) * (1 - h_tilde**2)) * da_h
    return z * h_prev + (1 - z) * h_tilde, jac, z


def state_path_norms(cell, x, kernel, recurrent_kernel, bias, *, reset_after=True):
    """All paths against the gate path, by lag, for the numpy reference GRU or LSTM.

    ``x`` (batch, T, input_dim); weights as ``get_weights()`` returns them;
    the initial states are zero.  Returns a dict of (T,) arrays, index = lag k:

    * ``"all_paths"``: mean over the batch of ``|| d s_T / d s_{T-k} ||_F``
      (LSTM: ``s = c``, with ``h_{T-k}`` held fixed; GRU: ``s = h``);
    * ``"gate_path"``: mean of ``|| prod f ||`` (LSTM) or ``|| prod z ||`` (GRU)
      over the steps ``T-k+1 .. T``, the diagonal path that has no matrix in it.

    At ``k = 0`` both are ``sqrt(units)``, the norm of the identity.
    """
    if cell not in ("gru", "lstm"):
        raise ValueError(
            f"cell must be 'gru' or 'lstm' (a SimpleRNN has no gate path), got {cell!r}")
    # float64 throughout: products of 40 Jacobians reach 1e-10 and below.
    x, kernel, recurrent_kernel, bias = (np.asarray(a, dtype=np.float64)
                                         for a in (x, kernel, recurrent_kernel, bias))
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    jacobians, gates = [], []
    for t in range(steps):
        if cell == "lstm":
            h, c, jac, gate = _lstm_step_jacobians(x[:, t], h, c, kernel, recurrent_kernel, bias)
        else:
            h, jac, gate = _gru_step_jacobian(x[:, t], h, kernel, recurrent_kernel, bias,
                                              reset_after)
        jacobians.append(jac)
        gates.append(gate)

    size = jacobians[0].shape[1]
    product = np.broadcast_to(np.eye(size), (batch, size, size))  # d s_T / d s_T
    gate_product = np.ones((batch, units))
    block = slice(units, None) if cell == "lstm" else slice(None)  # the c rows/cols for the LSTM
    all_paths, gate_path = [], []
    for k in range(steps):
        if k > 0:   # extend the chain one step further back: step T-k+1 (0-based T-k)
            product = product @ jacobians[steps - k]
            gate_product = gate_product * gates[steps - k]
        all_paths.append(np.linalg.norm(product[:, block, block], axis=(1, 2)).mean())
        gate_path.append(np.linalg.norm(gate_product, axis=1).mean())
    return {"all_paths": np.array(all_paths), "gate_path": np.array(gate_path)}
