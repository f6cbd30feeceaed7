"""Checkers: one ``check_<exercise>(fn, *, hidden=False)`` per exercise.

A checker prints one line on success and raises ``AssertionError`` with an
explanation (expected, got, where, and the id of a known mistake) on failure.

``from course_utils.checks import check_rnn_forward`` imports only the topic
module that defines that checker, so a lesson that needs no TensorFlow never
loads it (the Keras checkers import keras).
"""
import importlib

from ._core import passed  # noqa: F401
from .misconceptions import MISCONCEPTIONS  # noqa: F401

# checker name -> topic module in this package. tests/test_checks_registry.py
# fails if a topic module defines a checker that is missing here.
CHECKERS = {
    "check_rnn_cell_forward": "simple_rnn",
    "check_rnn_forward": "simple_rnn",
    "check_predict_last_step": "many_to_one",
    "check_rnn_step_jacobian": "step_jacobian",
    "check_gradient_norms_by_lag": "gradient_norms",
    "check_rnn_backward": "bptt",
    "check_clip_by_global_norm": "clipping",
    "check_gru_cell_forward": "gru",
    "check_gru_forward": "gru",
    "check_flip_update_convention": "gru_conventions",
    "check_lstm_cell_forward": "lstm",
    "check_lstm_forward": "lstm",
    "check_lstm_cell_backward": "gated_backward",
    "check_rnn_param_count": "params",
    "check_build_stacked_model": "stacked_model",
    "check_build_bidirectional_tagger": "bidirectional_tagger",
    "check_make_windows": "windows",
    "check_perplexity": "perplexity",
    "check_build_char_model": "char_model",
    "check_sample_with_temperature": "sampling",
    "check_trained_char_model": "trained_char_model",
    "check_pad_batch": "text_classification",
    "check_masked_rnn_forward": "text_classification",
    "check_build_text_classifier": "text_classification",
    "check_trained_text_classifier": "text_classification",
}

__all__ = ["passed", "MISCONCEPTIONS", *CHECKERS]


def __getattr__(name):
    if name in CHECKERS:
        module = importlib.import_module(f"{__name__}.{CHECKERS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(CHECKERS))
