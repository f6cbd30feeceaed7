"""Activation functions used by the reference cells, in numpy.

Keras 3 uses the logistic ``sigmoid`` (not the "hard sigmoid" of old Keras 2
defaults) as ``recurrent_activation`` of ``GRU`` and ``LSTM``, and ``tanh`` as
``activation`` of all three cells; see ``keras/src/layers/rnn/gru.py`` and
``lstm.py``.  Both functions keep the input's floating dtype.
"""
import numpy as np

__all__ = ["sigmoid", "tanh"]


def _as_float(x):
    """``x`` as a numpy array with a floating dtype (integers become float64)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, elementwise, any shape.

    The naive formula overflows in ``exp(-x)`` for ``x < -88`` (float32) and
    numpy then prints a RuntimeWarning on stderr.  Here ``exp`` only ever sees
    ``-|x|`` (a number in ``(0, 1]``), and the two halves of the real line use
    the two algebraically equal forms ``1 / (1 + e)`` and ``e / (1 + e)`` with
    ``e = exp(-|x|)``.  NaN stays NaN.
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
    return out[()]  # a scalar in, a numpy scalar out


def tanh(x):
    """Hyperbolic tangent, elementwise, any shape (``np.tanh`` never overflows)."""
    return np.tanh(_as_float(x))
