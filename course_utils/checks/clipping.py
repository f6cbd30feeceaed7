"""Checker for 02_vanishing_gradients, Exercise 4: clipping by global norm.

    clip_by_global_norm(grads, clip_norm) -> (clipped list, global_norm)

Every array is scaled by the same factor ``clip_norm / max(global_norm, clip_norm)`` and
the norm before clipping is returned, as ``tf.clip_by_global_norm`` does. The expected
results (``course_utils.clipping``) and those of every known mistake on the same probe
are computed when this module is imported (before any student cell runs); a wrong answer
that reproduces a known mistake is named by its registered id (``misconceptions.py``;
CONTRIBUTING.md, "Misconception ids").
"""
import numpy as np

from ..clipping import clip_by_global_norm as reference_clip
from ._core import Mistake, call_student, checker, compare, explain, found_mistakes, passed, to_array

__all__ = ["check_clip_by_global_norm"]

NAME = "clip_by_global_norm"

EACH = Mistake("CLIP-EACH-SEPARATELY", "each array clipped on its own")
ALWAYS = Mistake("CLIP-ALWAYS-RESCALES", "the arrays always rescaled to length clip_norm")
SUM_OF_NORMS = Mistake("CLIP-SUM-OF-NORMS", "the sum of the arrays' norms as global norm")
NO_SQRT = Mistake("CLIP-NORM-NO-SQRT", "the sum of squares as global norm (no square root)")
UNIT_LENGTH = Mistake("CLIP-TO-UNIT-LENGTH", "the arrays divided by the global norm")
UNCHANGED = Mistake("CLIP-NOTHING-CLIPPED", "the arrays returned unchanged")
NORM_AFTER = Mistake("CLIP-NORM-AFTER-CLIPPING", "the norm after clipping returned")


def wrong_outputs(grads, clip_norm):
    """``[(Mistake, (*clipped arrays, norm))]``: what each known mistake returns here."""
    norms = [float(np.sqrt((g**2).sum())) for g in grads]
    total = float(np.sqrt(sum(n**2 for n in norms)))

    def scaled(factor, norm=total):
        return tuple(g * factor for g in grads) + (np.float64(norm),)

    right = min(1.0, clip_norm / total) if total > 0 else 1.0
    out = [
        (EACH, tuple(g * min(1.0, clip_norm / n) if n > 0 else g for g, n in zip(grads, norms))
         + (np.float64(total),)),
        (SUM_OF_NORMS, scaled(min(1.0, clip_norm / max(sum(norms), 1e-300)), sum(norms))),
        (NO_SQRT, scaled(min(1.0, clip_norm / max(total**2, 1e-300)), total**2)),
        (UNCHANGED, scaled(1.0)),
        (NORM_AFTER, scaled(right, total * right)),
    ]
    if total > 0:
        out += [(ALWAYS, scaled(clip_norm / total)), (UNIT_LENGTH, scaled(1.0 / total))]
    return out


def _cases(hidden):
    """``[(grads, clip_norm, context)]``: the inputs of each case."""
    if not hidden:
        grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
        return [
            (grads, 6.5, "grads = [[3, 4], [[12]]] (global norm 13), clip_norm = 6.5 "
                         "(every entry must be halved)"),
            (grads, 20.0, "grads = [[3, 4], [[12]]] (global norm 13), clip_norm = 20 "
                          "(already short enough: nothing may change)"),
        ]
    rng = np.random.default_rng(81)
    big = [rng.normal(size=shape).astype(np.float32) for shape in [(3, 4), (4, 4), (4,)]]
    return [
        (big, 1.0, "three float32 arrays (3, 4), (4, 4), (4,) with global norm > clip_norm = 1"),
        (big, 100.0, "the same arrays with clip_norm = 100 (no clipping)"),
        ([3 * rng.normal(size=(2, 5)), np.zeros((5, 5)), 0.1 * rng.normal(size=(5,))], 0.5,
         "three float64 arrays, one all zeros, clip_norm = 0.5"),
        ([rng.normal(size=(1, 1))], 0.25, "a single (1, 1) array, clip_norm = 0.25"),
        ([np.zeros((2, 2)), np.zeros(3)], 1.0,
         "all-zero gradients (global norm 0: nothing to clip, no NaN)"),
    ]


def _probe(grads, clip_norm, context):
    clipped, norm = reference_clip(grads, clip_norm)
    expected = tuple(np.asarray(c, dtype=np.float64) for c in clipped) + (np.float64(norm),)
    return {"grads": grads, "clip_norm": clip_norm, "context": context,
            "shapes": [g.shape for g in grads], "expected": expected,
            "mistakes": wrong_outputs([np.asarray(g, dtype=np.float64) for g in grads],
                                      clip_norm)}


# Computed when the checker is imported, before any student code runs.
PROBES = {hidden: [_probe(*case) for case in _cases(hidden)] for hidden in (False, True)}


def _shape_or_none(value):
    """The shape numpy sees in ``value``, or None for a ragged list."""
    try:
        return to_array(value, "value").shape
    except AssertionError:
        return None


def _unpack(result, probe):
    """``(clipped list, norm)`` of the student's result, or an AssertionError saying why not."""
    n, context, shapes = len(probe["shapes"]), probe["context"], probe["shapes"]
    if isinstance(result, (tuple, list)) and len(result) == n and all(
            _shape_or_none(r) == s for r, s in zip(result, shapes)):
        raise AssertionError(
            f"clip_by_global_norm for {context}: expected a pair (clipped, global_norm), got "
            f"only the {n} clipped arrays. End with `return clipped, norm`, where norm is the "
            f"global norm before clipping.")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        kind = "None (did you forget `return`?)" if result is None else type(result).__name__
        raise AssertionError(
            f"clip_by_global_norm for {context}: expected a pair (clipped, global_norm), got "
            f"{kind}. End with `return clipped, norm`.")
    clipped, norm = result
    if isinstance(clipped, np.ndarray) or not isinstance(clipped, (list, tuple)) \
            or len(clipped) != n:
        what = (f"a {type(clipped).__name__} of length {len(clipped)}"
                if isinstance(clipped, (list, tuple)) else
                "one numpy array" if isinstance(clipped, np.ndarray) else
                f"a {type(clipped).__name__}")
        raise AssertionError(
            f"clip_by_global_norm for {context}: the first returned value must be a list of "
            f"{n} arrays (one per gradient, same order), got {what}.")
    return [to_array(c, f"clipped[{i}] returned by clip_by_global_norm")
            for i, c in enumerate(clipped)], norm


def _check_probe(fn, probe):
    context, expected = probe["context"], probe["expected"]
    result = call_student(fn, list(probe["grads"]), probe["clip_norm"], name=NAME)
    clipped, norm = _unpack(result, probe)
    norm_arr = to_array(norm, "global_norm returned by clip_by_global_norm")
    # Diagnose on everything at once: all arrays and the norm.
    found = (found_mistakes(tuple(clipped) + (norm_arr.reshape(()),), probe["mistakes"],
                            expected=expected) if norm_arr.size == 1 else [])
    hints = "".join("\n" + line for line in explain(found, what_we_get="result"))
    for i, (c, e) in enumerate(zip(clipped, expected)):
        try:
            compare(f"clipped[{i}] returned by clip_by_global_norm", c, e, context=context)
        except AssertionError as err:
            raise AssertionError(str(err) + hints) from None
    if norm_arr.size != 1:
        raise AssertionError(
            f"global_norm returned by clip_by_global_norm for {context}: expected one number "
            f"(the norm of all gradients together), got an array of shape {norm_arr.shape}.")
    try:  # as 1-element arrays: compare() does not take 0-d arrays
        compare("global_norm returned by clip_by_global_norm", norm_arr.reshape(1),
                expected[-1].reshape(1), context=context)
    except AssertionError as err:
        raise AssertionError(str(err) + hints) from None


@checker
def check_clip_by_global_norm(fn, *, hidden=False):
    """Check ``fn(grads, clip_norm) -> (clipped list, global_norm)``."""
    probes = PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, probe)
    if not hidden:
        passed("clip_by_global_norm: shrinks all arrays by one common factor when the global "
               "norm exceeds clip_norm, leaves them alone otherwise, returns the norm before.")
    else:
        passed(f"clip_by_global_norm matches tf.clip_by_global_norm's rule on {len(probes)} "
               f"cases (float32 and float64, above and below the threshold, zero gradients).")
