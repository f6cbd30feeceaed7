"""Checker for 02_vanishing_gradients, Exercise 2: gradient norm against time lag.

    gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias) -> norms (batch, T+1)

Column k is the norm (over the units) of dL/dh_(T-k) when dL/dh_T = dh_last. The expected
norms come from ``course_utils.jacobians`` and, with the output of every known mistake on
the same probe, are computed when this module is imported (before any student cell runs).
A wrong answer that reproduces a known mistake is named by its registered id
(``misconceptions.py``; CONTRIBUTING.md, "Misconception ids").
"""
import numpy as np

from .. import jacobians
from ._core import Mistake, call_student, checker, passed
from ._gradients import compare_with_hint, forward_mistakes, reread, rnn_problem, states

__all__ = ["check_gradient_norms_by_lag"]

NAME = "gradient_norms_by_lag"
_WHAT = "the norms returned by gradient_norms_by_lag"
_SECTION = reread("Products of Jacobians")

NO_SLOPE = Mistake(
    "TANH-SLOPE-MISSING", "no tanh slope on the way back",
    explanation="The tanh derivative is missing: each step back multiplies by "
                "recurrent_kernel.T only. Going from h_t to h_(t-1), multiply the gradient by "
                "1 - h_t**2 first.",
    reread=_SECTION)
SLOPE_PREV = Mistake(
    "TANH-SLOPE-WRONG-STATE", "the slope 1 - h_(t-1)**2",
    explanation="The tanh slope comes from the wrong step: to go back from h_t to h_(t-1), use "
                "1 - h_t**2 (the output of that step), not 1 - h_(t-1)**2.",
    reread=_SECTION)
NO_TRANSPOSE = Mistake(
    "RECURRENT-KERNEL-NOT-TRANSPOSED", "recurrent_kernel instead of recurrent_kernel.T",
    explanation="The gradient was multiplied by recurrent_kernel instead of its transpose: "
                "dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ recurrent_kernel.T.",
    reread=_SECTION)
SLOPE_AFTER = Mistake("NORMS-SLOPE-AFTER-PRODUCT", "the slope applied after the product")
REVERSED = Mistake("NORMS-TIME-ORDER", "the columns in time order")
SQUARED = Mistake("NORMS-SQUARED", "squared norms")
_FORWARD = forward_mistakes(NAME, "Products of Jacobians")


def _norms_of(grads):
    return np.sqrt((grads**2).sum(axis=-1))


def lag_gradients(dh_last, h, U, *, slope="next", transpose=True, slope_after=False):
    """dL/dh_(T-k) for k = 0..T (batch, T+1, units) from the states ``h`` (batch, T+1, units),
    optionally with a known backward mistake."""
    steps = h.shape[1] - 1
    M = U.T if transpose else U
    g, out = dh_last, [dh_last]
    for k in range(1, steps + 1):
        t = steps - k + 1
        s = {"next": 1 - h[:, t] ** 2, "prev": 1 - h[:, t - 1] ** 2, "none": 1.0}[slope]
        g = (g @ M) * s if slope_after else (g * s) @ M
        out.append(g)
    return np.stack(out, axis=1)


def wrong_outputs(dh_last, x, h0, kernel, recurrent_kernel, bias):
    """``[(Mistake, norms)]``: what each known mistake returns on these inputs."""
    U = recurrent_kernel
    h = states(x, h0, kernel, U, bias)
    right = _norms_of(lag_gradients(dh_last, h, U))
    out = [
        (NO_SLOPE, _norms_of(lag_gradients(dh_last, h, U, slope="none"))),
        (SLOPE_PREV, _norms_of(lag_gradients(dh_last, h, U, slope="prev"))),
        (NO_TRANSPOSE, _norms_of(lag_gradients(dh_last, h, U, transpose=False))),
        (SLOPE_AFTER, _norms_of(lag_gradients(dh_last, h, U, slope_after=True))),
        (REVERSED, right[:, ::-1]),
        (SQUARED, right**2),
    ]
    # TRANSPOSED-WEIGHTS: the lag loop itself already covers recurrent_kernel's orientation.
    for mid in ("STATE-NOT-CARRIED", "MISSING-BIAS"):
        mistake, switches = _FORWARD[mid]
        wrong_h = states(x, h0, kernel, U, bias, **switches)
        out.append((mistake, _norms_of(lag_gradients(dh_last, wrong_h, U))))
    return out


def _cases(hidden):
    """``[(args, context)]``: the inputs of each case."""
    if not hidden:
        # Readable case: zero inputs, state and bias keep every h_t at 0 (slope 1), and
        # U = 0.5 * rotation, so each step back multiplies the norm by exactly 0.5.
        c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
        readable = (np.array([[1.0, 0.0]]), np.zeros((1, 4, 1)), np.zeros((1, 2)),
                    np.ones((1, 2)), 0.5 * np.array([[c, -s], [s, c]]), np.zeros(2))
        x, h0, W, U, b = rnn_problem(seed=42, batch=2, steps=5, input_dim=2, units=3)
        dh_last = np.random.default_rng(142).normal(size=(2, 3))
        return [
            (readable, "x = 0, h0 = 0, bias = 0, dh_last = [[1, 0]], recurrent_kernel = 0.5 * a "
                       "rotation, T = 4 (every slope is 1, so the norms must be [1, 0.5, 0.25, "
                       "0.125, 0.0625])"),
            ((dh_last, x, h0, W, U, b), "batch=2, T=5, input_dim=2, units=3, random weights "
                                        "and h0"),
        ]
    cases = []
    # (seed, batch, steps, input_dim, units, weight scale); every norm stays above 0.02, so an
    # absolute tolerance is meaningful, and every known mistake is at least 0.05 away
    for seed, batch, steps, input_dim, units, scale in [
            (51, 1, 1, 2, 1, 1.0), (52, 1, 6, 1, 2, 1.0), (54, 3, 7, 3, 4, 0.9),
            (57, 2, 4, 5, 3, 1.1)]:
        x, h0, W, U, b = rnn_problem(seed, batch, steps, input_dim, units, scale=scale)
        dh_last = np.random.default_rng(seed + 100).normal(size=(batch, units))
        cases.append(((dh_last, x, h0, W, U, b), f"batch={batch}, T={steps}, "
                      f"input_dim={input_dim}, units={units}, random weights and h0"))
    return cases


def _probe(args, context):
    return args, context, jacobians.gradient_norms_by_lag(*args), wrong_outputs(*args)


# Computed when the checker is imported, before any student code runs.
PROBES = {hidden: [_probe(*case) for case in _cases(hidden)] for hidden in (False, True)}


def _check_probe(fn, args, context, expected, mistakes):
    x, h0 = args[1], args[2]
    batch, steps, _ = x.shape
    units = h0.shape[1]
    got = call_student(fn, *args, name=NAME)
    shape_hints = {
        (batch, steps): f"You returned T = {steps} norms per example; there are T + 1 = "
                        f"{steps + 1}: lag 0 (|dh_last| itself) up to lag T (the gradient "
                        f"reaching h0).",
        (steps + 1,): "You returned one norm per lag for the whole batch; return one per "
                      "example and lag, shape (batch, T+1) (norm over the units axis only).",
        (batch, steps + 1, units): "You returned the gradients themselves; return their norms "
                                   "over the units axis, shape (batch, T+1).",
        (steps + 1, batch): "You returned shape (T+1, batch); the expected layout is "
                            "(batch, T+1), batch first.",
    }
    compare_with_hint(_WHAT, got, expected, mistakes=mistakes, context=context,
                      shape_hints=shape_hints)


@checker
def check_gradient_norms_by_lag(fn, *, hidden=False):
    """Check ``fn(dh_last, x, h0, kernel, recurrent_kernel, bias) -> norms (batch, T+1)``."""
    probes = PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, *probe)
    if not hidden:
        passed("gradient_norms_by_lag: shape (batch, T+1) and norms of dL/dh_(T-k) correct "
               "on 2 cases.")
    else:
        passed(f"gradient_norms_by_lag matches the reference on {len(probes)} random cases "
               f"(batch 1, T=1, one unit, input_dim != units, non-zero h0).")
