"""Checker of 06_keras_rnns, Exercise 1: ``build_stacked_model(input_dim, units)`` must return
Input (batch, T, input_dim) -> LSTM(units, return_sequences=True) -> GRU(units) -> Dense(1).

The model is compared with ``course_utils.keras_models.build_stacked_model`` through
Keras's public API (``_keras_models``); every known slip (a missing
return_sequences, an Input without a time axis, the layers in the wrong order, an
output activation...) is a ``Mistake`` with its registered id.
"""
import numpy as np

from course_utils import keras_models as reference

from ._core import checker, passed
from ._keras_models import BATCHES, STACKING_SECTION, Exercise, check_model

__all__ = ["check_build_stacked_model"]

EXERCISE = Exercise("build_stacked_model", ("input_dim", "units"),
                    reference.build_stacked_model, STACKING_SECTION, per_step=False)

# A hidden case with input_dim != units comes first: a failure there tells a missing time axis
# (the error shows input_dim) from a missing return_sequences (it shows units).
CASES = {"visible": [(3, 4)], "hidden": [(5, 2), (1, 1), (2, 7)]}


@checker
def check_build_stacked_model(fn, *, hidden=False):
    """Check that ``fn(input_dim, units)`` builds LSTM(return_sequences=True) -> GRU -> Dense(1)."""
    mode = "hidden" if hidden else "visible"
    model = check_model(EXERCISE, fn, CASES[mode], np.random.default_rng(6), BATCHES[mode])
    if hidden:
        passed(f"build_stacked_model: right layers, settings, output shapes, count_params() and "
               f"outputs for {len(CASES[mode])} hidden sizes (one unit, input_dim != units) and "
               f"sequences of length 1.")
    else:
        input_dim, units = CASES[mode][0]
        passed(f"build_stacked_model({input_dim}, {units}): Input (None, None, {input_dim}) -> "
               f"LSTM({units}, return_sequences=True) -> GRU({units}) -> Dense(1), output "
               f"(batch, 1) for any T, {model.count_params()} parameters.")
