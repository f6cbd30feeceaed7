"""Weights in Keras's layout: parameter counts, random weights, and the real Keras layer.

``cell`` is one of ``"simple_rnn"``, ``"gru"``, ``"lstm"``.  The weight triple
``(kernel, recurrent_kernel, bias)`` is exactly what ``layer.get_weights()``
returns: ``kernel (input_dim, k*units)``, ``recurrent_kernel (units, k*units)``,
``bias (k*units,)`` or ``(2, 3*units)`` for a GRU with ``reset_after=True``,
with ``k`` = 1, 3, 4 blocks.

Keras is imported only by ``keras_layer``, so numpy-only users do not pay for
TensorFlow's import.
"""
import numpy as np

from ._shapes import GATES, check_weight_shapes, normalize_cell, weight_shapes

__all__ = ["rnn_param_count", "random_weights", "keras_layer"]


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def rnn_param_count(cell, input_dim, units, reset_after=True):
    """Number of trainable parameters of the Keras layer, as ``layer.count_params()``.

    Each of the ``k`` blocks has an input matrix ``input_dim * units``, a
    recurrent matrix ``units * units`` and a bias ``units``; a GRU with
    ``reset_after=True`` has a second (recurrent) bias of ``3 * units``.
    """
    cell = normalize_cell(cell)
    _check_size("input_dim", input_dim)
    _check_size("units", units)
    blocks = GATES[cell]
    count = blocks * (input_dim * units + units * units + units)
    if cell == "gru" and reset_after:
        count += blocks * units
    return int(count)


def random_weights(cell, input_dim, units, *, reset_after=True, seed=None, scale=0.5):
    """Random float32 ``(kernel, recurrent_kernel, bias)``, uniform in ``[-scale, scale]``.

    The bias is random too (not zeros as Keras initialises it), so that a cell
    which forgets the bias gives a visibly different answer.
    """
    cell = normalize_cell(cell)
    _check_size("input_dim", input_dim)
    _check_size("units", units)
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-scale, scale, size=shape).astype(np.float32)
                 for shape in weight_shapes(cell, input_dim, units, reset_after))


def keras_layer(cell, kernel, recurrent_kernel, bias, *, reset_after=True,
                return_sequences=True, return_state=False):
    """A built ``keras.layers.SimpleRNN`` / ``GRU`` / ``LSTM`` carrying the given weights.

    ``input_dim`` and ``units`` are read from ``kernel`` and
    ``recurrent_kernel``.  Call the layer as ``layer(x, initial_state=[h0])``
    (``[h0, c0]`` for the LSTM) with ``x`` of shape (batch, T, input_dim).
    """
    cell = normalize_cell(cell)
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in (kernel, recurrent_kernel, bias))
    input_dim, units = check_weight_shapes(cell, kernel, recurrent_kernel, bias,
                                           reset_after=reset_after)

    # Imported here, not at the top: numpy-only users never pay for TensorFlow.
    # course_utils/__init__.py has already quietened TensorFlow's logging.
    import keras

    options = {"return_sequences": return_sequences, "return_state": return_state}
    if cell == "simple_rnn":
        layer = keras.layers.SimpleRNN(units, **options)
    elif cell == "gru":
        layer = keras.layers.GRU(units, reset_after=reset_after, **options)
    else:
        layer = keras.layers.LSTM(units, **options)
    layer.build((None, None, input_dim))
    layer.set_weights([kernel, recurrent_kernel, bias])
    return layer
