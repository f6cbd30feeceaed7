"""Many-to-one prediction with a SimpleRNN: read the probability of class 1 at the last step.

The course's version of lesson 01's exercise ``predict_last_step``; later cells
reach it through ``course_utils.fallback`` (never by importing it into a lesson).
"""
import numpy as np

from . import simple_rnn
from .activations import sigmoid

__all__ = ["predict_last_step"]


def predict_last_step(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    """sigmoid(h_T @ dense_kernel + dense_bias): x (batch, T, input_dim), h0 (batch, units),
    SimpleRNN weights as ``layer.get_weights()``, dense_kernel (units, 1), dense_bias (1,).
    Returns the probabilities, shape (batch, 1)."""
    h_seq = simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias)  # (batch, T, units)
    return sigmoid(np.asarray(h_seq)[:, -1] @ dense_kernel + dense_bias)
