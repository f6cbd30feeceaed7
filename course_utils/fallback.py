"""Keep a lesson running when an exercise is unfinished or broken.

A cell after an exercise that needs the exercise's function calls
``yours_or_course(name, globals(), *args)``: your function runs on the
arguments (copies of them); if it is missing, raises anything, writes into its
arguments, or returns something of another
shape (or, for arrays, other values) than the course's own version, the
course's version is used instead and one line says so (once per cell, however
often the cell calls it). No cascade of
``NameError``s, whatever your answer does.

The course's versions are looked up here by exercise name, so lessons never
put the reference for the exercise at hand into your namespace (a graded
answer that calls a course version is flagged ``uses-reference``).
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np

from .arguments import copies, modified_arguments

# exercise name -> "module:function" of the course's own implementation
COURSE_VERSIONS = {
    "rnn_cell_forward": "course_utils.simple_rnn:rnn_cell_forward",
    "rnn_forward": "course_utils.simple_rnn:rnn_forward",
    "predict_last_step": "course_utils.many_to_one:predict_last_step",
    "rnn_step_jacobian": "course_utils.jacobians:rnn_step_jacobian",
    "gradient_norms_by_lag": "course_utils.jacobians:gradient_norms_by_lag",
    "rnn_backward": "course_utils.simple_rnn:rnn_backward",
    "clip_by_global_norm": "course_utils.clipping:clip_by_global_norm",
    "gru_cell_forward": "course_utils.gru:gru_cell_forward",
    "gru_forward": "course_utils.gru:gru_forward",
    "flip_update_convention": "course_utils.conventions:flip_update_convention",
    "lstm_cell_forward": "course_utils.lstm:lstm_cell_forward",
    "lstm_forward": "course_utils.lstm:lstm_forward",
    "lstm_cell_backward": "course_utils.gated_backward:lstm_cell_backward",
    "rnn_param_count": "course_utils.weights:rnn_param_count",
    "build_stacked_model": "course_utils.keras_models:build_stacked_model",
    "build_bidirectional_tagger": "course_utils.keras_models:build_bidirectional_tagger",
    "make_windows": "course_utils.language_model:make_windows",
    "perplexity": "course_utils.language_model:perplexity",
    "build_char_model": "course_utils.language_model:build_char_model",
    "sample_with_temperature": "course_utils.language_model:sample_with_temperature",
    "pad_batch": "course_utils.masking:pad_batch",
    "masked_rnn_forward": "course_utils.masking:masked_rnn_forward",
    "build_text_classifier": "course_utils.text_classifier:build_text_classifier",
}

ATOL = 1e-4  # looser than the checkers': this only decides which version a demo uses


def course_version(name: str):
    """The course's own implementation of exercise ``name`` (imported on first use)."""
    try:
        module, attr = COURSE_VERSIONS[name].split(":")
    except KeyError:
        raise KeyError(f"no course version of {name!r}; known: {sorted(COURSE_VERSIONS)}") from None
    return getattr(importlib.import_module(module), attr)


def _arrays(value):
    """The arrays in ``value`` (an array, or nested tuples/lists/dicts of them), flattened in a
    fixed order, or None if some leaf is not numeric (e.g. a Keras model or a string)."""
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    if isinstance(value, (tuple, list)):
        leaves = []
        for item in value:
            inner = _arrays(item)
            if inner is None:
                return None
            leaves.extend(inner)
        return leaves
    if isinstance(value, str):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [np.asarray(value, dtype=np.float64)]
    except (TypeError, ValueError):
        return None


def _differs(yours, course) -> str | None:
    """Why ``yours`` cannot stand in for ``course`` (None if it can)."""
    ours = _arrays(course)
    if ours is None:  # not numbers (e.g. a Keras model): any non-None answer is used
        return "returned None" if yours is None else None
    if yours is None:
        return "returned None"
    theirs = _arrays(yours)
    if theirs is None or len(theirs) != len(ours):
        return f"returned {type(yours).__name__}, not what the exercise asks for"
    for got, want in zip(theirs, ours):
        if got.shape != want.shape:
            return f"returned shape {got.shape} where {want.shape} was expected"
        with np.errstate(all="ignore"):
            if not np.allclose(got, want, atol=ATOL, rtol=ATOL, equal_nan=True):
                return "gives other values than the course's version"
    return None


def yours_or_course(name: str, namespace: dict, *args, quiet: bool = False, **kwargs):
    """``namespace[name](*args, **kwargs)`` if it works and agrees with the course's version,
    else the course's version's result; prints one line when the course's version is used."""
    course = course_version(name)
    yours = namespace.get(name)
    reason = None
    if not callable(yours):
        reason = "is not defined yet (run its cell)"
    else:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                used_args, used_kwargs = copies(args, kwargs)   # your function gets copies
                result = yours(*used_args, **used_kwargs)
            changed = modified_arguments(yours, args, kwargs, used_args, used_kwargs)
            if changed:
                reason = (f"writes into its argument {', '.join(changed)} (MODIFIES-INPUTS: "
                          "the caller's array would change)")
        except NotImplementedError:
            reason = "is not written yet"
        except Exception as err:  # noqa: BLE001 - any failure of an answer falls back
            reason = f"raised {type(err).__name__}: {str(err)[:120]}"
    expected = course(*args, **kwargs)
    if reason is None:  # (reason is set when yours raised or wrote into its inputs)
        reason = _differs(result, expected)
        if reason is None:
            return result
    if not quiet and _first_time_in_this_cell(name):
        print(f"(Using the course's {name}: yours {reason}. The lesson goes on; "
              f"come back to the exercise when you are ready.)")
    return expected


_announced: set = set()


def _first_time_in_this_cell(name: str) -> bool:
    """True once per exercise name and notebook cell, so a loop prints one line, not one per call.

    Outside IPython there are no cells: then once per exercise name and process.
    """
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with the course
        shell = None
    key = (name, getattr(shell, "execution_count", None))
    if key in _announced:
        return False
    _announced.add(key)
    return True
