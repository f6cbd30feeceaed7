"""Checker for 02_vanishing_gradients, Exercise 1: the step Jacobian of a SimpleRNN.

    rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias) -> J (batch, units, units)

with ``J[b, i, j] = d h_next[b, i] / d h_prev[b, j] = (1 - h_next[b, i]**2) * U[j, i]``.
The expected Jacobians come from ``course_utils.jacobians`` and, with the output of every
known mistake on the same probe, are computed when this module is imported (before any
student cell runs). A wrong answer that reproduces a known mistake is named by its
registered id (``misconceptions.py``; CONTRIBUTING.md, "Misconception ids").
"""
import numpy as np

from .. import jacobians
from ._core import Mistake, call_student, checker, passed
from ._gradients import compare_with_hint, forward_mistakes, reread, rnn_problem, shape_text, states

__all__ = ["check_rnn_step_jacobian"]

NAME = "rnn_step_jacobian"
_WHAT = "the Jacobian returned by rnn_step_jacobian"
_SECTION = reread("The step Jacobian")

NO_SLOPE = Mistake(
    "TANH-SLOPE-MISSING", "no tanh slope (recurrent_kernel.T for every example)",
    explanation="The tanh derivative is missing: the answer equals recurrent_kernel.T for every "
                "example. Multiply row i by the slope 1 - h_next[i]**2.",
    reread=_SECTION)
SLOPE_PREV = Mistake(
    "TANH-SLOPE-WRONG-STATE", "the slope 1 - h_prev**2",
    explanation="The tanh slope was taken at h_prev instead of h_next: the derivative of tanh "
                "belongs to the step's own output, 1 - h_next**2.",
    reread=_SECTION)
SLOPE_PREACT = Mistake(
    "TANH-SLOPE-OF-PREACTIVATION", "the slope 1 - a**2 of the pre-activation",
    explanation="The slope was computed from the pre-activation a instead of from "
                "h_next = tanh(a): tanh'(a) = 1 - tanh(a)**2 = 1 - h_next**2, not 1 - a**2.",
    reread=_SECTION)
TRANSPOSED = Mistake("JACOBIAN-TRANSPOSED", "J transposed (rows following h_prev)")
SLOPE_COLUMNS = Mistake("JACOBIAN-SLOPE-ON-COLUMNS", "recurrent_kernel.T @ diag(slope)")
NO_TRANSPOSE = Mistake(
    "RECURRENT-KERNEL-NOT-TRANSPOSED", "diag(slope) @ recurrent_kernel",
    explanation="recurrent_kernel was used without the transpose: a step computes h_prev @ U, "
                "so d a[i] / d h_prev[j] = U[j, i], and J = diag(1 - h_next**2) @ U.T.",
    reread=_SECTION)
_FORWARD = forward_mistakes(NAME, "The step Jacobian")


def _rows(slope, M):
    return slope[:, :, None] * M[None]


def wrong_outputs(x_t, h_prev, kernel, recurrent_kernel, bias):
    """``[(Mistake, J)]``: what each known mistake returns on these inputs."""
    U = recurrent_kernel
    a = x_t @ kernel + h_prev @ U + bias
    s = 1 - np.tanh(a) ** 2
    out = [
        (NO_SLOPE, np.broadcast_to(U.T, (x_t.shape[0],) + U.shape).copy()),
        (SLOPE_PREV, _rows(1 - h_prev**2, U.T)),
        (SLOPE_PREACT, _rows(1 - a**2, U.T)),
        (TRANSPOSED, np.swapaxes(_rows(s, U.T), 1, 2)),
        (SLOPE_COLUMNS, U.T[None] * s[:, None, :]),
        (NO_TRANSPOSE, _rows(s, U)),
    ]
    for mid in ("MISSING-BIAS", "TRANSPOSED-WEIGHTS"):  # one step: nothing to carry
        mistake, switches = _FORWARD[mid]
        h_next = states(x_t[:, None], h_prev, kernel, U, bias, **switches)[:, 1]
        out.append((mistake, _rows(1 - h_next**2, U.T)))
    return out


def _cases(hidden):
    """``[(args, context)]``: the inputs of each case."""
    if not hidden:
        # Readable case: everything zero but U, so h_next = 0, the slope is 1 and J = U.T.
        readable = (np.zeros((1, 3)), np.zeros((1, 2)), np.full((3, 2), 0.5),
                    np.array([[0.1, 0.2], [0.3, 0.4]]), np.zeros(2))
        x, h0, W, U, b = rnn_problem(seed=21, batch=2, steps=1, input_dim=2, units=3)
        return [
            (readable, "x_t = 0, h_prev = 0, bias = 0, recurrent_kernel = [[0.1, 0.2], "
                       "[0.3, 0.4]] (h_next = 0, so the tanh slope is 1 and J[0] must be "
                       "recurrent_kernel.T)"),
            ((x[:, 0], h0, W, U, b), "batch=2, input_dim=2, units=3, random weights and h_prev"),
        ]
    cases = []
    # (seed, batch, input_dim, units, weight scale); seeds chosen so that every known
    # mistake is at least 0.05 away from the right answer (tests/test_checks_step_jacobian.py)
    for seed, batch, input_dim, units, scale in [
            (35, 1, 1, 1, 1.5), (33, 1, 3, 2, 1.0), (33, 3, 2, 4, 1.2), (34, 2, 5, 3, 0.6)]:
        x, h0, W, U, b = rnn_problem(seed, batch, 1, input_dim, units, scale=scale)
        cases.append(((x[:, 0], h0, W, U, b), f"batch={batch}, input_dim={input_dim}, "
                                             f"units={units}, random weights and h_prev"))
    return cases


def _probe(args, context):
    return args, context, jacobians.rnn_step_jacobian(*args), wrong_outputs(*args)


# Computed when the checker is imported, before any student code runs.
PROBES = {hidden: [_probe(*case) for case in _cases(hidden)] for hidden in (False, True)}


def _check_probe(fn, args, context, expected, mistakes):
    batch, units = args[1].shape
    got = call_student(fn, *args, name=NAME)
    shape_hints = {
        (units, units): f"You returned one ({units}, {units}) matrix; return one Jacobian per "
                        f"example, stacked into shape (batch, units, units) = "
                        f"{shape_text(expected.shape)}.",
        (batch, units): "You returned a (batch, units) array, maybe the slope or h_next; the "
                        "Jacobian of each example is a (units, units) matrix.",
    }
    compare_with_hint(_WHAT, got, expected, mistakes=mistakes, context=context,
                      shape_hints=shape_hints)


@checker
def check_rnn_step_jacobian(fn, *, hidden=False):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> J (batch, units, units)``."""
    probes = PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, *probe)
    if not hidden:
        passed("rnn_step_jacobian: shape (batch, units, units) and values equal "
               "diag(1 - h_next**2) @ recurrent_kernel.T on 2 cases.")
    else:
        passed(f"rnn_step_jacobian matches the reference on {len(probes)} random cases "
               f"(batch 1, one unit, input_dim != units, non-zero h_prev).")
