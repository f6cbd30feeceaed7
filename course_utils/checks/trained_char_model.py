"""Checker of 07_practice's graded training result: ``check_trained_char_model(model)``
measures the validation perplexity of the student's trained model itself (every position
of every window is a target, as in training) and compares it with a bar derived from
the unigram baseline, both computed here from ``course_utils.data.text`` (not from
anything the notebook computed). A trained model is judged only through Keras's public
API: its input shape and the predictions computed here. Each known reason for a failure
(no model, an untrained model, one that ignores its context...) is a ``Mistake`` with
its registered id.
"""
import functools
import logging

import numpy as np

from .. import language_model as reference
from ..data import text
from ._core import Mistake, call_student, checker, passed, to_array
from ._language_model import section, shape_text

__all__ = ["check_trained_char_model", "TARGET_FRACTION", "TOLERANCE"]

# The bar: 40 % of the unigram baseline's perplexity (the bigram model, which reads one
# character of context, gets about 52 %: the model must use more than the last character),
# with a tolerance of 5 % of the bar. Every position of every window is a target, as in
# training: the visible test reads the validation text in consecutive windows, the hidden
# test in windows that start half a window later and overlap.
TARGET_FRACTION = 0.4
TOLERANCE = 0.05

# Captured at import time, before any student code runs.
_log, _exp, _abs, _isfinite, _arange = np.log, np.exp, np.abs, np.isfinite, np.arange
_errstate = np.errstate

_MODEL = section("model")


def _evaluation_setting(window, hidden):
    if hidden:
        return dict(stride=max(1, window // 2), offset=max(1, window // 2) + 3)
    return dict(stride=window, offset=0)


@functools.lru_cache(maxsize=4)
def evaluation_data(window, hidden):
    """Validation windows ``x`` (n, window), their shifted targets ``y`` (n, window), and the
    unigram baseline's perplexity on the same targets."""
    train_text, validation_text = text.load_corpus()
    train_ids, validation_ids = text.encode(train_text), text.encode(validation_text)
    setting = _evaluation_setting(window, hidden)
    x, y = reference.make_windows(validation_ids[setting["offset"]:], window, setting["stride"])
    unigram = reference.unigram_probabilities(train_ids, text.VOCAB_SIZE)
    baseline = float(_exp(-_log(unigram[y]).mean()))
    return x, y, baseline


def _model_window(model):
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):
        shape = shape[0]
    if shape is None or len(shape) != 2:
        raise AssertionError(f"the model should take windows of character ids, shape (batch, "
                             f"window); its input shape is {shape}.")
    return shape[1] or reference.WINDOW


def _predict(model, x):
    """The model's output on ``x``, with TensorFlow's Python logger quiet: ``predict``
    may log a "retracing" warning on stderr, which would zero the test cell."""
    import keras

    def run():
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return keras.ops.convert_to_numpy(model.predict(x, batch_size=1024, verbose=0))
        finally:
            logger.setLevel(level)
    run.__name__ = "your model"
    return to_array(call_student(run, name="your model"), "the model's predictions")


def _check_output(probs, x, window, vocab):
    if probs.shape != (len(x), window, vocab):
        message = (f"the model's output for {len(x)} windows of {window} characters should have "
                   f"shape ({len(x)}, {window}, {vocab}) (after every character, one "
                   f"probability per character of the vocabulary), but it has shape "
                   f"{shape_text(probs.shape)}.")
        if probs.shape == (len(x), vocab):
            raise AssertionError(message + "\n" + Mistake(
                "PER-STEP-NO-RETURN-SEQUENCES", explanation=(
                    "The recurrent layer returns only its last state: give it "
                    "return_sequences=True, so that the model predicts after every character "
                    "(build_char_model, Exercise 3)."), reread=_MODEL).describe())
        raise AssertionError(f"{message} (Reread: {_MODEL}.)")
    if not _isfinite(probs).all() or (probs < 0).any() or \
            (_abs(probs.sum(axis=-1) - 1.0) > 1e-3).any():
        raise AssertionError(
            "the model's outputs are not probabilities (rows should be >= 0 and sum to 1).\n"
            + Mistake("OUTPUT-NO-SOFTMAX", explanation=(
                "Give the model's last layer activation=\"softmax\" (build_char_model, "
                "Exercise 3)."), reread=_MODEL).describe())


@checker
def check_trained_char_model(model, *, hidden=False):
    """Check the validation perplexity of a trained model (input (batch, window) ids,
    output (batch, window, vocab) probabilities, every position a target) against 40 % of
    the unigram baseline's."""
    if model is None:
        raise AssertionError("your_gru_model is None: there is no model of yours to grade.\n"
                             + Mistake("TRAINED-MODEL-MISSING").describe())
    if not hasattr(model, "predict"):
        raise AssertionError(f"expected the trained Keras model, got {type(model).__name__}.")
    window = _model_window(model)
    x, y, baseline = evaluation_data(window, bool(hidden))
    probs = _predict(model, x)
    vocab = text.VOCAB_SIZE
    _check_output(probs, x, window, vocab)
    probs, y = probs.reshape(-1, vocab), y.reshape(-1)      # every position is a target
    with _errstate(all="ignore"):
        value = float(_exp(-_log(probs[_arange(len(y)), y]).mean()))
    target = TARGET_FRACTION * baseline
    accepted = target * (1 + TOLERANCE)
    where = (f"on {len(y)} characters of validation text ({len(x)} windows of {window}; the "
             f"unigram baseline scores {baseline:.2f} on the same characters)")
    if not value <= accepted:
        if value >= 0.9 * vocab:
            mistake = Mistake("TRAINED-MODEL-UNTRAINED", explanation=(
                f"That is no better than guessing uniformly among the {vocab} characters: has "
                f"the model been trained? Run the training cell, and check that its learning "
                f"curve goes down."))
        elif probs.std(axis=0).max() < 0.01:
            mistake = Mistake("TRAINED-MODEL-NO-CONTEXT")
        else:
            mistake = Mistake("TRAINED-MODEL-BELOW-BAR", explanation=(
                "It beats the baseline, but not by enough: check that your model is the one of "
                "Exercise 3 (units, embedding size, return_sequences=True) and that the "
                "training cell ran to the end. (Grading always trains with the short setting, "
                "whatever TRAIN_LONGER says.)"))
        raise AssertionError(f"validation perplexity {value:.2f} {where}: expected at most "
                             f"{target:.2f} ({TARGET_FRACTION:.0%} of the baseline) + "
                             f"{TOLERANCE:.0%} = {accepted:.2f}.\n" + mistake.describe())
    passed(f"validation perplexity {value:.2f} on {len(y)} characters ({len(x)} windows): below "
           f"the bar {target:.2f} ({TARGET_FRACTION:.0%} of the unigram baseline's "
           f"{baseline:.2f}).")
