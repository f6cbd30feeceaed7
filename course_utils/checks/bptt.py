"""Checker for 02_vanishing_gradients, Exercise 3: backpropagation through time for a SimpleRNN.

    rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias)
        -> {"dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"}

The gradients are those of ``L = sum(dh_seq * h_seq)``. Visible check: against finite
differences of the reference forward pass (an independent computation); hidden check:
against ``course_utils.simple_rnn.rnn_backward``. Both, and the gradients of every known
mistake on the same probe, are computed when this module is imported (before any student
cell runs). A wrong answer that reproduces a known mistake is named by its registered id
(``misconceptions.py``; CONTRIBUTING.md, "Misconception ids").
"""
import numpy as np

from .. import simple_rnn
from ..finite_differences import numerical_gradient
from ._core import Mistake, call_student, checker, compare, explain, passed, to_array
from ._gradients import (
    changed_keys,
    forward_mistakes,
    found_in_gradients,
    reread,
    rnn_problem,
    shape_text,
    states,
)

__all__ = ["check_rnn_backward"]

NAME = "rnn_backward"
KEYS = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")
_SECTION = reread("Backpropagation through time by hand")

NO_CARRY = Mistake("BPTT-NO-CARRY", "no gradient from step t+1")
NO_SLOPE = Mistake(
    "TANH-SLOPE-MISSING", "no tanh slope",
    explanation="The tanh derivative is missing: before any product, multiply the gradient at "
                "h_t by 1 - h_t**2 (da = dh * (1 - h_t**2)).",
    reread=_SECTION)
SLOPE_PREV = Mistake(
    "TANH-SLOPE-WRONG-STATE", "the slope of the state the step received",
    explanation="The tanh slope comes from the wrong state: step t's derivative is 1 - h_t**2 "
                "with h_t the state that step produced, not the state it received.",
    reread=_SECTION)
OVERWRITTEN = Mistake("BPTT-GRADS-OVERWRITTEN", "= instead of += for the weight gradients")
LAST_OUTPUT_ONLY = Mistake("BPTT-LAST-OUTPUT-ONLY", "only dh_seq[:, -1]")
DH0_SHORT = Mistake("BPTT-DH0-ONE-STEP-SHORT", "dh0 taken before the first step")
NO_TRANSPOSE = Mistake(
    "RECURRENT-KERNEL-NOT-TRANSPOSED", "da @ recurrent_kernel on the way back",
    explanation="The gradient went back through recurrent_kernel instead of its transpose: "
                "dh_prev = da @ recurrent_kernel.T (and dx_t = da @ kernel.T).",
    reread=_SECTION)
BATCH_MEAN = Mistake("GRADIENTS-BATCH-MEAN", "the weight gradients divided by the batch size")
_FORWARD = forward_mistakes(NAME, "Backpropagation through time by hand")


def backward(dh_seq, x, h0, kernel, recurrent_kernel, bias, *, h=None, carry=True,
             slope="next", accumulate=True, last_output_only=False, dh0_through_step=True,
             transpose=True, batch_mean=False):
    """BPTT in float64, optionally with one known mistake (the defaults give the right answer);
    ``h`` (batch, T+1, units) replaces the states of the forward pass."""
    if h is None:
        h = states(x, h0, kernel, recurrent_kernel, bias)
    batch, steps, _ = x.shape
    M = recurrent_kernel.T if transpose else recurrent_kernel
    dx = np.zeros_like(x)
    grads = {"dkernel": np.zeros_like(kernel), "drecurrent_kernel": np.zeros_like(recurrent_kernel),
             "dbias": np.zeros_like(bias)}
    carry_grad = np.zeros_like(h0)
    dh = carry_grad
    for t in reversed(range(steps)):
        upstream = dh_seq[:, t] if (t == steps - 1 or not last_output_only) else 0.0
        dh = upstream + (carry_grad if carry else 0.0)
        s = {"next": 1 - h[:, t + 1] ** 2, "prev": 1 - h[:, t] ** 2, "none": 1.0}[slope]
        da = dh * s
        dx[:, t] = da @ kernel.T
        terms = {"dkernel": x[:, t].T @ da, "drecurrent_kernel": h[:, t].T @ da,
                 "dbias": da.sum(axis=0)}
        for key, term in terms.items():
            grads[key] = grads[key] + term if accumulate else term
        carry_grad = da @ M
    if batch_mean:
        grads = {k: v / batch for k, v in grads.items()}
    return {"dx": dx, "dh0": carry_grad if dh0_through_step else dh, **grads}


def wrong_outputs(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """``[(Mistake, gradients dict)]``: what each known mistake returns on these inputs."""
    args = (dh_seq, x, h0, kernel, recurrent_kernel, bias)
    out = [
        (NO_CARRY, backward(*args, carry=False)),
        (NO_SLOPE, backward(*args, slope="none")),
        (SLOPE_PREV, backward(*args, slope="prev")),
        (OVERWRITTEN, backward(*args, accumulate=False)),
        (LAST_OUTPUT_ONLY, backward(*args, last_output_only=True)),
        (DH0_SHORT, backward(*args, dh0_through_step=False)),
        (NO_TRANSPOSE, backward(*args, transpose=False)),
        (BATCH_MEAN, backward(*args, batch_mean=True)),
    ]
    for mid in ("STATE-NOT-CARRIED", "MISSING-BIAS"):
        mistake, switches = _FORWARD[mid]
        out.append((mistake, backward(*args, h=states(x, h0, kernel, recurrent_kernel, bias,
                                                      **switches))))
    return out


def _finite_difference_gradients(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """Gradients of L = sum(dh_seq * h_seq) by central differences (float64)."""
    inputs = {"dx": x, "dh0": h0, "dkernel": kernel, "drecurrent_kernel": recurrent_kernel,
              "dbias": bias}
    out = {}
    for key, value in inputs.items():
        def loss(v, key=key):
            a = {**inputs, key: v}
            h_seq = simple_rnn.rnn_forward(a["dx"], a["dh0"], a["dkernel"],
                                           a["drecurrent_kernel"], a["dbias"])
            return float((dh_seq * h_seq).sum())
        out[key] = numerical_gradient(loss, value)
    return out


def _cases(hidden):
    """``[(args, context)]``: the inputs of each case."""
    if not hidden:
        x, h0, W, U, b = rnn_problem(seed=61, batch=2, steps=3, input_dim=2, units=3)
        dh_seq = np.random.default_rng(161).normal(size=(2, 3, 3))
        return [((dh_seq, x, h0, W, U, b), "batch=2, T=3, input_dim=2, units=3, non-zero h0, "
                                           "loss L = sum(dh_seq * h_seq)")]
    cases = []
    # (seed, batch, steps, input_dim, units); every known mistake at least 0.05 away
    for seed, batch, steps, input_dim, units in [
            (77, 1, 1, 1, 1), (72, 1, 4, 3, 2), (73, 3, 5, 2, 4), (75, 2, 6, 4, 1),
            (75, 2, 3, 1, 3)]:
        x, h0, W, U, b = rnn_problem(seed, batch, steps, input_dim, units)
        dh_seq = np.random.default_rng(seed + 100).normal(size=(batch, steps, units))
        cases.append(((dh_seq, x, h0, W, U, b), f"batch={batch}, T={steps}, "
                      f"input_dim={input_dim}, units={units}, random weights and h0"))
    return cases


def _probe(args, context, hidden):
    if hidden:
        expected, source = simple_rnn.rnn_backward(*args), "the reference gradient"
    else:
        expected, source = _finite_difference_gradients(*args), "the finite-difference gradient"
    mistakes = [(m, grads, changed_keys(grads, expected, KEYS))
                for m, grads in wrong_outputs(*args)]
    return {"args": args, "context": context, "expected": expected, "source": source,
            "mistakes": mistakes}


# Computed when the checker is imported, before any student code runs.
PROBES = {hidden: [_probe(*case, hidden) for case in _cases(hidden)] for hidden in (False, True)}


def _unpack(result, context):
    if result is None:
        raise AssertionError(
            f"rnn_backward for {context}: expected a dict with keys {', '.join(KEYS)} "
            f"but got None. Did you forget `return`?")
    if not isinstance(result, dict):
        raise AssertionError(
            f"rnn_backward for {context}: expected a dict with keys {', '.join(KEYS)}, "
            f"got a {type(result).__name__}.")
    missing = [k for k in KEYS if k not in result]
    if missing:
        raise AssertionError(
            f"rnn_backward for {context}: the returned dict has no key(s) {', '.join(missing)}; "
            f"expected keys {', '.join(KEYS)} (it has {', '.join(map(str, result)) or 'none'}).")
    return {k: to_array(result[k], f"{k} returned by rnn_backward for {context}") for k in KEYS}


def _shape_hint(key, shape, x_shape):
    batch, steps, input_dim = x_shape
    hints = {}
    if len(shape) == 2 and shape[0] != shape[1]:
        hints[shape[::-1]] = (f"{key} has the transposed shape: a weight's gradient has the "
                              f"weight's shape {shape_text(shape)}, e.g. x_t.T @ da for dkernel.")
    if key == "dbias":
        hints[(batch,) + shape] = ("dbias still has a batch axis: the bias is shared by all "
                                   "examples, so sum da over the batch (axis 0).")
        hints[(batch, steps) + shape] = "dbias has batch and time axes: sum da over both."
    if key == "dx":
        hints[(batch, input_dim)] = ("dx must hold one gradient per step, shape (batch, T, "
                                     "input_dim), like x.")
    if key in ("dkernel", "drecurrent_kernel"):
        hints[(batch,) + shape] = (f"{key} has a batch axis: sum the examples' contributions "
                                   f"(x_t.T @ da does it in one product).")
    return {k: v for k, v in hints.items() if k != shape}


def _check_probe(fn, probe):
    context, expected = probe["context"], probe["expected"]
    got = _unpack(call_student(fn, *probe["args"], name=NAME), context)
    for key in KEYS:
        if got[key].shape != expected[key].shape:
            hint = _shape_hint(key, expected[key].shape, probe["args"][1].shape).get(got[key].shape)
            raise AssertionError(
                f"{key} returned by rnn_backward for {context}: expected shape "
                f"{expected[key].shape}, got shape {got[key].shape}." + (f"\n{hint}" if hint else ""))
    for key in KEYS:
        try:
            compare(f"{key} returned by rnn_backward (compared with {probe['source']})",
                    got[key], expected[key], context=context)
        except AssertionError as err:
            lines = [str(err)] + explain(found_in_gradients(got, probe["mistakes"]),
                                         what_we_get="result")
            raise AssertionError("\n".join(lines)) from None


@checker
def check_rnn_backward(fn, *, hidden=False):
    """Check ``fn(dh_seq, x, h0, kernel, recurrent_kernel, bias) -> dict`` (BPTT of a SimpleRNN).

    Visible: against finite differences (an independent computation).
    Hidden: against the reference ``course_utils.simple_rnn.rnn_backward``.
    """
    probes = PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, probe)
    if not hidden:
        passed("rnn_backward: dx, dh0, dkernel, drecurrent_kernel and dbias agree with finite "
               "differences (batch=2, T=3).")
    else:
        passed(f"rnn_backward matches the reference BPTT on {len(probes)} random cases "
               f"(batch 1, T=1, one unit, input_dim != units, non-zero h0).")
