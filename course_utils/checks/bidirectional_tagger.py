"""Checker of 06_keras_rnns, Exercise 2: ``build_bidirectional_tagger(input_dim, units,
num_classes)`` must return Input (batch, T, input_dim) ->
Bidirectional(GRU(units, return_sequences=True)) -> Dense(num_classes, softmax).

The model is compared with ``course_utils.keras_models.build_bidirectional_tagger``
through Keras's public API (``_keras_models``); every known slip (no Bidirectional,
merge_mode changed, no softmax, no return_sequences, TimeDistributed...) is a
``Mistake`` with its registered id.
"""
import numpy as np

from course_utils import keras_models as reference

from ._core import checker, passed
from ._keras_models import BATCHES, BIDIRECTIONAL_SECTION, Exercise, check_model

__all__ = ["check_build_bidirectional_tagger"]

EXERCISE = Exercise("build_bidirectional_tagger", ("input_dim", "units", "num_classes"),
                    reference.build_bidirectional_tagger, BIDIRECTIONAL_SECTION, per_step=True)

CASES = {"visible": [(3, 4, 5)], "hidden": [(6, 3, 4), (1, 1, 2)]}


@checker
def check_build_bidirectional_tagger(fn, *, hidden=False):
    """Check that ``fn(input_dim, units, num_classes)`` builds Bidirectional(GRU) -> Dense."""
    mode = "hidden" if hidden else "visible"
    model = check_model(EXERCISE, fn, CASES[mode], np.random.default_rng(7), BATCHES[mode])
    if hidden:
        passed(f"build_bidirectional_tagger: right layers, settings, output shapes, "
               f"count_params() and outputs for {len(CASES[mode])} hidden sizes (one unit, two "
               f"classes) and sequences of length 1.")
    else:
        input_dim, units, num_classes = CASES[mode][0]
        passed(f"build_bidirectional_tagger({input_dim}, {units}, {num_classes}): "
               f"Bidirectional(GRU({units}, return_sequences=True)) -> Dense({num_classes}, "
               f"softmax), output (batch, T, {num_classes}), {model.count_params()} parameters.")
