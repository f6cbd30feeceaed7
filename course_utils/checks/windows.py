"""Checker of 07_practice, Exercise 1: ``make_windows(ids, window, stride) -> x, y``,
x (n, window) the windows and y (n, window) the targets, x shifted by one character.

Expected answers come from ``course_utils.language_model.make_windows`` and are
computed at import time, with the outputs of every known mistake on the same probes
(each a ``Mistake`` with its registered id: WINDOW-TARGET-OFF-BY-ONE,
WINDOW-STRIDE-IGNORED, ...), before any student cell runs.
"""
import numpy as np

from .. import language_model as reference
from ._core import Mistake, call_student, checker, compare, matches, passed, to_array
from ._language_model import shape_text

__all__ = ["check_make_windows"]

# Captured at import time: a student cell that reassigns them cannot change our answers.
_array, _asarray, _default_rng, _int64 = np.array, np.asarray, np.random.default_rng, np.int64

_NEXT_ONLY = Mistake("WINDOW-TARGET-NEXT-ONLY", "y[i] = ids[s + window]")
_NOT_SHIFTED = Mistake("WINDOW-TARGET-OFF-BY-ONE", "y[i] = ids[s : s + window], not shifted")
_TOO_WIDE = Mistake("WINDOW-TOO-WIDE", "x[i] = ids[s : s + window + 1]")
_NO_STRIDE = Mistake("WINDOW-STRIDE-IGNORED", "a window at every position (stride 1)")
_ONE_SHORT = Mistake("WINDOW-LAST-MISSING", "the last window left out")


def _window_mistakes(ids, window, stride):
    """``(x_mistakes, y_mistakes)``: ``(Mistake, output)`` of each known mistake on this probe."""
    starts = list(range(0, len(ids) - window, stride))
    every = list(range(0, len(ids) - window))

    def stack(rows, width, shift=0):
        return _array([ids[s + shift:s + shift + width] for s in rows]).reshape(len(rows), width)

    xs = [(_TOO_WIDE, stack(starts, window + 1)),
          (_NO_STRIDE, stack(every, window)),
          (_ONE_SHORT, stack(starts[:-1], window))]
    ys = [(_NEXT_ONLY, _array([ids[s + window] for s in starts])),
          (_NOT_SHIFTED, stack(starts, window)),
          (_NO_STRIDE, stack(every, window, 1)),
          (_ONE_SHORT, stack(starts[:-1], window, 1))]
    return xs, ys


def _probe(ids, window, stride):
    ids = _asarray(ids, dtype=_int64)
    x, y = reference.make_windows(ids, window, stride)
    shown = f"ids={ids.tolist()}" if len(ids) <= 12 else f"len(ids)={len(ids)}"
    context = f"{shown}, window={window}, stride={stride}"
    return (ids, window, stride), (x, y), _window_mistakes(ids, window, stride), context


def _probes(hidden):
    if not hidden:  # ids 0, 1, 2, ...: every target is visibly "the next number"
        cases = [(np.arange(10), 3, 1), (np.arange(12), 4, 3)]
    else:
        rng = _default_rng(707)
        cases = [(rng.integers(0, 53, size=40), 5, 1),
                 (rng.integers(0, 53, size=50), 10, 7),
                 (rng.integers(0, 53, size=9), 8, 1),      # exactly one window
                 (rng.integers(0, 53, size=30), 1, 4),     # window of one character
                 (rng.integers(0, 53, size=31), 6, 6),     # stride == window
                 (rng.integers(0, 53, size=26), 3, 11)]    # stride > window
    return [_probe(*case) for case in cases]


PROBES = {hidden: _probes(hidden) for hidden in (False, True)}


def _pair(result):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        kind = type(result).__name__
        raise AssertionError(f"make_windows should return a pair (x, y), but it returned {kind}"
                             + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
                             + ". End with `return x, y`.")
    return result


def _check_probe(fn, args, expected, mistakes, context):
    ids, window, stride = args
    got_x, got_y = _pair(call_student(fn, ids, window, stride, name="make_windows"))
    x, y = expected
    gx, gy = to_array(got_x, "x"), to_array(got_y, "y")
    if gx.shape == y.shape and gy.shape == x.shape and not matches(x, y) \
            and matches(gx, y) and matches(gy, x):
        raise AssertionError(f"make_windows returned (y, x) for {context}.\n"
                             + Mistake("WINDOW-PAIR-SWAPPED").describe())
    if gx.ndim == 2 and gx.shape[0] == x.shape[0] + 1 and matches(gx[:-1], x):
        raise AssertionError(
            f"x, the windows returned by make_windows for {context}: expected shape "
            f"{shape_text(x.shape)}, got {shape_text(gx.shape)}, one window too many.\n"
            + Mistake("WINDOW-ONE-TOO-MANY").describe())
    x_mistakes, y_mistakes = mistakes
    compare("x, the windows returned by make_windows", gx, x, atol=1e-9, mistakes=x_mistakes,
            context=context)
    compare("y, the targets returned by make_windows", gy, y, atol=1e-9, mistakes=y_mistakes,
            context=context)


@checker
def check_make_windows(fn, *, hidden=False):
    """Check ``make_windows(ids, window, stride) -> (x (n, window), y (n, window))``."""
    probes = PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, *probe)
    if hidden:
        passed(f"make_windows matches the reference on {len(probes)} random cases (one window, "
               "window 1, stride equal to and larger than the window).")
    else:
        passed("make_windows: x[i] = ids[s:s+window] and y[i] = ids[s+1:s+window+1] (the window "
               f"shifted by one) for s = 0, stride, 2*stride, ... ({len(probes)} small cases).")
