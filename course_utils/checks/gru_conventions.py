"""Checker for the 03_gru exercise ``flip_update_convention``.

The student converts GRU weights written for the "z writes" update
``h = z * h~ + (1 - z) * h_prev`` into Keras's "z keeps" update
``h = z * h_prev + (1 - z) * h~``.  The answer is unique: negate the update
gate's columns of kernel, recurrent_kernel and bias (both bias rows when
``reset_after=True``).  The checker compares each returned weight with
``course_utils.conventions.flip_update_convention`` and then runs Keras's
convention (``course_utils.gru``) on the converted weights against the textbook
GRU (``course_utils.conventions.textbook_gru_forward``) on the original ones.

Known mistakes are recognised by comparing each returned weight with the
weight a wrong conversion produces (negated the wrong block, all blocks, one
bias row only, ``1 - w`` instead of ``-w``, left unchanged); each is named by
its registered id (``misconceptions.py``, CONTRIBUTING.md "Misconception ids").
"""
import numpy as np

from .. import conventions, gru
from ..weights import random_weights
from ._core import Mistake, call_student, checker, compare, passed, to_array

__all__ = ["check_flip_update_convention"]

_NAME = "flip_update_convention"
_WEIGHT_NAMES = ("kernel", "recurrent_kernel", "bias")


def _negate_columns(weight, start, stop):
    out = np.array(weight, dtype=np.float64, copy=True)
    out[..., start:stop] *= -1
    return out


def _columns(start, stop):
    """'column 3' or 'columns 3..5' (stop excluded)."""
    return f"column {start}" if stop - start == 1 else f"columns {start}..{stop - 1}"


def _wrong_conversions(name, weight, units, reset_after):
    """``[(Mistake, output)]`` for the known wrong conversions of one weight."""
    u = units
    z_cols = _columns(0, u)
    original = np.asarray(weight, dtype=np.float64)
    one_minus = original.copy()
    one_minus[..., :u] = 1 - one_minus[..., :u]
    two_rows = name == "bias" and reset_after
    rows_note = (" (bias[:units] selects rows of the two-row bias; the z columns are "
                 "bias[:, :units])") if two_rows else ""

    def wrong_block(block, cols):
        return Mistake("GRU-FLIP-WRONG-BLOCK", f"the {block} block of {name} negated",
                       explanation=f"In {name}, the {block}'s block ({cols}) was negated instead "
                                   f"of the update gate's ({z_cols}); Keras's block order is z, "
                                   f"r, h~.")

    mistakes = [
        (Mistake("GRU-FLIP-UNCHANGED", f"{name} left unchanged",
                 explanation=f"{name} came back unchanged: its update-gate {z_cols} must be "
                             f"negated too, because z's pre-activation adds x_t @ W_z, "
                             f"h_prev @ U_z and the z bias, and all of them must change sign."),
         original),
        (Mistake("GRU-FLIP-ALL-BLOCKS", f"every column of {name} negated",
                 explanation=f"In {name}, every column was negated, but only the update gate's "
                             f"{z_cols} (the first of the three blocks z, r, h~) should "
                             f"be{rows_note}; negating r and h~ changes the reset gate and the "
                             f"candidate."),
         -original),
        (wrong_block("reset gate", _columns(u, 2 * u)), _negate_columns(original, u, 2 * u)),
        (wrong_block("candidate", _columns(2 * u, 3 * u)),
         _negate_columns(original, 2 * u, 3 * u)),
        (Mistake("GRU-FLIP-ONE-MINUS", f"1 - w in the z block of {name}",
                 explanation=f"In {name}, the z block holds 1 - w instead of -w. The identity "
                             f"1 - sigmoid(a) = sigmoid(-a) changes the sign of the "
                             f"pre-activation a, so each z weight changes sign; nothing is "
                             f"subtracted from 1."),
         one_minus),
    ]
    if two_rows:
        only_input, only_recurrent = original.copy(), original.copy()
        only_input[0, :u] *= -1
        only_recurrent[1, :u] *= -1
        both_rows = ("with reset_after=True the bias has two rows (input bias, recurrent bias) "
                     "and both add to z's pre-activation, so negate bias[:, :units].")
        for row, flipped in ((0, only_input), (1, only_recurrent)):
            which = "the input bias" if row == 0 else "the recurrent bias"
            mistakes.append((Mistake("GRU-FLIP-ONE-BIAS-ROW", f"only bias row {row} flipped",
                                     explanation=f"In bias, only row {row} ({which}) was "
                                                 f"negated; {both_rows}"), flipped))
        if u == 1:  # with more units, bias[:units] negates both rows: the all-negated case
            first_row = original.copy()
            first_row[0] *= -1
            mistakes.append((Mistake(
                "GRU-FLIP-ONE-BIAS-ROW", "bias[:units] (a whole row) negated",
                explanation="In bias, the whole input-bias row was negated: bias[:units] selects "
                            "rows of the two-row bias; the z columns are bias[:, :units]."),
                first_row))
    return mistakes


def _unpack(result, shapes, context):
    """The student's returned triple as float64 arrays, or an explanation of what came back."""
    if result is None:
        raise AssertionError(
            f"{_NAME} for {context}: expected a tuple (kernel, recurrent_kernel, bias) but got "
            f"None. Did you forget `return`? (Changing the arrays in place is not enough: "
            f"return the three converted arrays.)")
    if isinstance(result, np.ndarray) or not isinstance(result, (tuple, list)) \
            or len(result) != 3:
        kind = type(result).__name__
        size = f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""
        raise AssertionError(
            f"{_NAME} for {context}: expected a tuple (kernel, recurrent_kernel, bias) of three "
            f"arrays, got a {kind}{size}.")
    arrays = []
    for name, value, shape in zip(_WEIGHT_NAMES, result, shapes):
        array = to_array(value, f"{name} returned by {_NAME} for {context}")
        if array.shape != shape:
            hint = ""
            if array.shape == shape[::-1]:
                hint = " (that is the transpose: return the weight in the layout you were given)"
            raise AssertionError(
                f"{_NAME} for {context}: the returned {name} should have shape {shape}, like the "
                f"{name} passed in, got {array.shape}{hint}. Return (kernel, recurrent_kernel, "
                f"bias) in this order.")
        arrays.append(array)
    return arrays


def _check_case(fn, input_dim, units, reset_after, seed, batch, steps, dtype=np.float32):
    """One weight set: compare each returned weight, then the two GRUs' outputs."""
    weights = [w.astype(dtype) for w in
               random_weights("gru", input_dim, units, reset_after=reset_after, seed=seed)]
    context = f"reset_after={reset_after}, input_dim={input_dim}, units={units}"
    result = call_student(fn, *weights, reset_after=reset_after, name=_NAME)
    shapes = tuple(w.shape for w in weights)
    got = _unpack(result, shapes, context)
    expected = conventions.flip_update_convention(*weights, reset_after=reset_after)

    for name, got_w, exp_w, original in zip(_WEIGHT_NAMES, got, expected, weights):
        compare(f"{name} returned by {_NAME}", got_w, exp_w, context=context,
                mistakes=_wrong_conversions(name, original, units, reset_after))

    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(batch, steps, input_dim)).astype(dtype)
    h0 = rng.uniform(-0.9, 0.9, size=(batch, units)).astype(dtype)
    textbook = conventions.textbook_gru_forward(x, h0, *weights, reset_after=reset_after)
    keras_style = gru.gru_forward(x, h0, *(w.astype(dtype) for w in got),
                                  reset_after=reset_after)
    compare("h_seq of Keras's GRU (h = z*h_prev + (1-z)*h~) run with your converted weights",
            keras_style, textbook,
            context=f"{context}, batch={batch}, T={steps}, compared with the textbook GRU "
                    f"(h = z*h~ + (1-z)*h_prev) on the original weights")


@checker
def check_flip_update_convention(fn, *, hidden=False):
    """Check ``fn(kernel, recurrent_kernel, bias, reset_after=True) -> (kernel, recurrent_kernel, bias)``."""
    if not hidden:
        for reset_after in (True, False):
            _check_case(fn, input_dim=2, units=3, reset_after=reset_after, seed=3,
                        batch=2, steps=4)
        passed(f"{_NAME}: for reset_after=True and False, Keras's GRU with your converted weights "
               f"reproduces the textbook GRU.")
        return
    cases = [  # (input_dim, units, batch, T, seed): one unit, batch 1, T=1, input_dim != units
        (1, 1, 1, 1, 11), (3, 2, 1, 5, 12), (2, 5, 3, 2, 13), (4, 4, 2, 6, 14), (5, 1, 2, 3, 15),
    ]
    for input_dim, units, batch, steps, seed in cases:
        for reset_after in (True, False):
            _check_case(fn, input_dim, units, reset_after, seed, batch, steps)
    _check_case(fn, 3, 2, True, 16, 2, 3, dtype=np.float64)
    passed(f"{_NAME}: converted weights correct for {2 * len(cases) + 1} random GRUs "
           f"(both reset_after values, odd shapes, float32 and float64).")
