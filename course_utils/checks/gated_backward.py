"""Checker for 05_gradient_flow: the backward pass of one LSTM step.

Exercise (student function; shapes batch first, weights as ``get_weights()``)::

    lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)
        -> {"dx_t", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias"}

The gradients are those of the scalar ``L = sum(dh_next * h_next) + sum(dc_next * c_next)``.
Visible check: against finite differences of the reference forward step
(``course_utils.lstm.lstm_cell_forward``), an independent computation.
Hidden check: against the reference ``course_utils.gated_backward.lstm_cell_backward``.

Known mistakes are recognised by running ``_lstm_backward`` below with one
switch flipped on the same probe and comparing outputs (never by reading
source). Each has a registered id (``misconceptions.py``; CONTRIBUTING.md,
"Misconception ids"): mistakes in the *forward* recomputation (gate order,
h = o * c, missing bias, a swapped activation) and slips in the derivative
(forgot dc_next, used f instead of f * (1 - f), ...) alike.

Every expected output is computed when this module is imported, i.e. in the
notebook's first cell, before any student cell could reassign ``np.tanh``.
"""
import itertools

import numpy as np

from .. import gated_backward, lstm
from ..activations import sigmoid
from ..finite_differences import numerical_gradient
from ..weights import random_weights
from ._core import (
    ATOL,
    Mistake,
    Precomputed,
    StudentCodeError,
    call_student,
    checker,
    compare,
    explain,
    matches,
    passed,
    to_array,
)
from ._gradients import changed_keys, found_in_gradients
from ._probes import LARGE_PRE_ACTIVATION, hand_sized

__all__ = ["check_lstm_cell_backward"]

NAME = "lstm_cell_backward"
KEYS = gated_backward.GRADIENT_KEYS      # dx_t, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias
FROM_DA = ("dx_t", "dh_prev", "dkernel", "drecurrent_kernel", "dbias")  # all computed from da
ARG_NAMES = ("dh_next", "dc_next", "x_t", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias")
_SECTION = "05_gradient_flow, 'Backward through one LSTM step'"   # a heading of the lesson


# ---------------------------------------------------------------- the backward pass, with switches

_SIGMOID = (sigmoid, lambda s: s * (1 - s))        # (function, derivative from its output)
_TANH = (np.tanh, lambda t: 1 - t**2)
_IDENTITY = (lambda a: a, lambda y: np.ones_like(y))


def _lstm_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, *,
                   order="ifco", gate=_SIGMOID, candidate=_TANH, squash=_TANH, use_bias=True,
                   concat_order=None, use_dc_next=True, dc_through_h=True, squash_slope=True,
                   gate_slope="derivative",
                   forget_slope=None, candidate_slope=None, forget_reads="c_prev",
                   dc_prev_from="dc", dc_prev_times_f=True, swap_kernels=False,
                   swap_weight_grads=False, batch_mean=False):
    """One LSTM step backward in float64; the defaults give the right answer.

    ``order``, ``gate``, ``candidate``, ``squash``, ``use_bias`` change the
    forward model (the backward is then exact for that wrong model); the other
    switches inject one slip into the backward pass.
    """
    a = x_t @ kernel + h_prev @ recurrent_kernel + (bias if use_bias else 0.0)
    block = dict(zip(order, np.split(a, 4, axis=1)))   # the student's reading of the 4 blocks
    i, f, o = gate[0](block["i"]), gate[0](block["f"]), gate[0](block["o"])
    c_tilde = candidate[0](block["c"])
    c_next = f * c_prev + i * c_tilde
    s = squash[0](c_next)

    dc = (dc_next if use_dc_next else 0.0)
    if dc_through_h:
        dc = dc + dh_next * o * (squash[1](s) if squash_slope else 1.0)
    do, di, dc_tilde = dh_next * s, dc * c_tilde, dc * i
    df = dc * {"c_prev": c_prev, "c_next": c_next}[forget_reads]
    slopes = {"derivative": gate[1], "value": lambda g: g, "tanh": _TANH[1]}
    g_slope = slopes[gate_slope]
    f_slope = slopes[forget_slope or gate_slope]
    c_slope = {None: candidate[1], "sigmoid": _SIGMOID[1]}[candidate_slope]
    da_blocks = {"i": di * g_slope(i), "f": df * f_slope(f), "c": dc_tilde * c_slope(c_tilde),
                 "o": do * g_slope(o)}
    da = np.concatenate([da_blocks[g] for g in (concat_order or order)], axis=1)
    dc_prev = {"dc": dc, "dc_next": dc_next}[dc_prev_from] * (f if dc_prev_times_f else 1.0)

    W, U = (recurrent_kernel, kernel) if swap_kernels else (kernel, recurrent_kernel)
    grads = {"dx_t": da @ W.T, "dh_prev": da @ U.T, "dc_prev": dc_prev,
             "dkernel": x_t.T @ da, "drecurrent_kernel": h_prev.T @ da, "dbias": da.sum(axis=0)}
    if swap_weight_grads:
        grads["dkernel"], grads["drecurrent_kernel"] = grads["drecurrent_kernel"], grads["dkernel"]
    if batch_mean:
        for key in ("dkernel", "drecurrent_kernel", "dbias"):
            grads[key] = grads[key] / x_t.shape[0]
    return grads


_GATE_NAMES = {"i": "i", "f": "f", "c": "c~", "o": "o"}


def _order_text(order):
    return ", ".join(_GATE_NAMES[g] for g in order)


def _mistake(mid, hint, explanation=""):
    return Mistake(mid, hint, explanation=explanation, reread=_SECTION if explanation else "")


def _variants():
    """``[(Mistake, switches of _lstm_backward)]``; a hint completes "Your gradients are
    exactly what we get with ..."."""
    out = []
    for order in itertools.permutations("ifco"):
        order = "".join(order)
        if order != "ifco":
            out.append((Mistake("LSTM-GATE-ORDER", f"the gates read in the order "
                                                   f"{_order_text(order)}"), {"order": order}))
            out.append((_mistake(
                "LSTM-GATE-ORDER", f"the gate gradients da concatenated in the order "
                                   f"{_order_text(order)}",
                "The four blocks of da were concatenated in another order than the gates were "
                "read; Keras's order is i, f, c~, o, and da must follow it: "
                "np.concatenate([da_i, da_f, da_c, da_o], axis=1)."), {"concat_order": order}))
    out += [
        (Mistake("LSTM-OUTPUT-NO-TANH", "h_next = o * c_next, i.e. the gradients of an LSTM "
                                        "without the tanh on the output"), {"squash": _IDENTITY}),
        (_mistake("MISSING-BIAS", "the bias left out of the forward recomputation",
                  "The bias is missing from the forward recomputation inside lstm_cell_backward: "
                  "a = x_t @ kernel + h_prev @ recurrent_kernel + bias."), {"use_bias": False}),
        (_mistake("WRONG-ACTIVATION", "tanh gates (forward and derivative)",
                  "The gates i, f, o were computed with tanh; they are sigmoids (values in "
                  "0..1), with derivative g * (1 - g)."), {"gate": _TANH}),
        (_mistake("WRONG-ACTIVATION", "a sigmoid candidate c~ (forward and derivative)",
                  "The candidate c~ was computed with a sigmoid; it is tanh(a_c), with "
                  "derivative 1 - c~**2."), {"candidate": _SIGMOID}),
        (_mistake("WRONG-ACTIVATION", "h_next = o * sigmoid(c_next)",
                  "The output squashes the cell state with a sigmoid; h_next = o * "
                  "tanh(c_next), whose derivative in c_next is o * (1 - tanh(c_next)**2)."),
         {"squash": _SIGMOID}),
        (Mistake("LSTM-BACKWARD-NO-DC-NEXT", "dc = dh_next * o * (1 - tanh(c_next)**2) alone"),
         {"use_dc_next": False}),
        (Mistake("LSTM-BACKWARD-NO-ROUTE-THROUGH-H", "dc = dc_next alone"),
         {"dc_through_h": False}),
        (_mistake("TANH-SLOPE-MISSING", "dc = dc_next + dh_next * o",
                  "The gradient through tanh(c_next) is missing tanh's derivative: going from "
                  "h_next back to c_next multiplies by o * (1 - tanh(c_next)**2), not by o "
                  "alone."), {"squash_slope": False}),
        (_mistake("GATE-VALUE-AS-DERIVATIVE", "the gates' values as their derivatives",
                  "The gates' values were used where their derivatives belong: for a gate "
                  "g = sigmoid(a), dg/da = g * (1 - g), not g."), {"gate_slope": "value"}),
        (_mistake("GATE-VALUE-AS-DERIVATIVE", "da_f = df * f",
                  "f was used instead of the forget gate's derivative: da_f = df * f * (1 - f) "
                  "with df = dc * c_prev."), {"forget_slope": "value"}),
        (_mistake("ACTIVATION-SLOPE-SWAPPED", "the candidate's slope c~ * (1 - c~)",
                  "The candidate's derivative was taken as a sigmoid's, c~ * (1 - c~); "
                  "c~ = tanh(a_c), so dc~/da_c = 1 - c~**2."), {"candidate_slope": "sigmoid"}),
        (_mistake("ACTIVATION-SLOPE-SWAPPED", "the gates' slope 1 - g**2",
                  "The gates' derivative was taken as tanh's, 1 - g**2; the gates are sigmoids, "
                  "so dg/da = g * (1 - g)."), {"gate_slope": "tanh"}),
        (Mistake("LSTM-FORGET-GRAD-READS-C-NEXT", "df = dc * c_next"),
         {"forget_reads": "c_next"}),
        (Mistake("LSTM-DC-PREV-MISSES-H-ROUTE", "dc_prev = dc_next * f"),
         {"dc_prev_from": "dc_next"}),
        (Mistake("LSTM-DC-PREV-NO-F", "dc_prev = dc"), {"dc_prev_times_f": False}),
        (Mistake("BACKWARD-KERNELS-SWAPPED", "dx_t = da @ recurrent_kernel.T, "
                                             "dh_prev = da @ kernel.T"), {"swap_kernels": True}),
        (Mistake("WEIGHT-GRADS-SWAPPED", "dkernel and drecurrent_kernel swapped"),
         {"swap_weight_grads": True}),
        (_mistake("GRADIENTS-BATCH-MEAN", "the weight gradients divided by the batch size",
                  "The weight gradients were averaged over the batch; L adds up the examples, so "
                  "add their contributions (x_t.T @ da already sums over the batch)."),
         {"batch_mean": True}),
    ]
    return out


VARIANTS = _variants()


# ---------------------------------------------------------------- probes (computed at import)

def _finite_difference_gradients(args):
    """dL/d(each input) for L = sum(dh_next * h_next) + sum(dc_next * c_next), float64."""
    dh_next, dc_next, *inputs = args
    names = ("dx_t", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")
    out = {}
    for position, key in enumerate(names):
        def loss(value, position=position):
            values = list(inputs)
            values[position] = value
            h_next, c_next = lstm.lstm_cell_forward(*values)
            return float((dh_next * h_next).sum() + (dc_next * c_next).sum())
        out[key] = numerical_gradient(loss, inputs[position])
    return out


def _probe(case, args, *, finite_differences):
    """Expected gradients and the known mistakes' gradients on ``args`` (float32 arrays)."""
    args64 = tuple(np.asarray(a, dtype=np.float64) for a in args)
    with np.errstate(all="ignore"):     # huge pre-activations: exp overflow gives exact 0 / 1
        if finite_differences:
            expected = _finite_difference_gradients(args64)
        else:
            expected = gated_backward.lstm_cell_backward(*args64)
        mistakes = []
        for mistake, switches in VARIANTS:
            grads = _lstm_backward(*args64, **switches)
            changed = changed_keys(grads, expected, KEYS)
            if changed:
                mistakes.append((mistake, grads, changed))
    return {"case": case, "args": args, "expected": expected, "mistakes": mistakes,
            "source": "finite differences" if finite_differences else "the reference"}


def _arguments(seed, batch, input_dim, units, *, hand=False, zero=None, large=False,
               dtype=np.float32):
    rng = np.random.default_rng(seed)
    kernel, recurrent_kernel, bias = random_weights("lstm", input_dim, units, seed=seed)
    if hand:   # one-decimal numbers a student can follow by hand
        kernel, recurrent_kernel, bias = (hand_sized(rng, w.shape) for w in
                                          (kernel, recurrent_kernel, bias))
        x_t = hand_sized(rng, (batch, input_dim), scale=2.0)
        h_prev, c_prev, dh_next, dc_next = (hand_sized(rng, (batch, units), scale=s)
                                            for s in (1.0, 2.0, 1.0, 1.0))
    else:
        x_t = rng.uniform(-1.5, 1.5, size=(batch, input_dim))
        h_prev = rng.uniform(-0.9, 0.9, size=(batch, units))
        c_prev = rng.uniform(-2.0, 2.0, size=(batch, units))
        dh_next, dc_next = rng.normal(size=(2, batch, units))
    if zero == "dc_next":
        dc_next = np.zeros_like(dc_next)
    if zero == "dh_next":
        dh_next = np.zeros_like(dh_next)
    if large:  # some gates exactly 0: a naive 1 / (1 + np.exp(-a)) overflows there
        bias = np.array(bias)
        for n, block in enumerate((0, 1, 3)):   # i, f, o
            bias[block * units + n % units] = LARGE_PRE_ACTIVATION
    args = (dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)
    return tuple(np.asarray(a, dtype=dtype) for a in args)


def _build_probes():
    visible = [_probe("the visible case (batch=2, input_dim=2, units=2, small hand-sized numbers, "
                      "non-zero dh_next and dc_next)",
                      _arguments(51, 2, 2, 2, hand=True), finite_differences=True)]
    hidden = []
    for number, (seed, batch, input_dim, units, options, remark) in enumerate([
            (61, 1, 3, 1, {}, "one example, one unit"),
            (62, 3, 4, 2, {}, "input_dim != units"),
            (63, 2, 1, 3, {"zero": "dc_next"}, "dc_next = 0"),
            (64, 2, 3, 2, {"zero": "dh_next"}, "dh_next = 0, only the cell state gets a gradient"),
            (65, 2, 2, 3, {"large": True},
             "huge negative gate pre-activations (a sigmoid must not overflow)"),
            (66, 4, 5, 3, {"dtype": np.float64}, "float64 inputs")], start=1):
        case = (f"hidden case {number} (batch={batch}, input_dim={input_dim}, units={units}, "
                f"random weights, {remark})")
        hidden.append(_probe(case, _arguments(seed, batch, input_dim, units, **options),
                             finite_differences=False))
    return {False: visible, True: hidden}


_PROBES = Precomputed(_build_probes)   # at import, before student code (see Precomputed)


# ---------------------------------------------------------------- running the student's function

def _unpack(result, probe):
    """The student's result as ``{key: float64 array}``, or an AssertionError saying why not."""
    where = f"{NAME} for {probe['case']}"
    expected_keys = ", ".join(KEYS)
    if result is None:
        raise AssertionError(f"{where}: expected a dict with the keys {expected_keys} but got "
                             "None. Did you forget `return`?")
    if not isinstance(result, dict):
        size = f" of {len(result)} values" if isinstance(result, (tuple, list)) else ""
        raise AssertionError(
            f"{where}: expected a dict with the keys {expected_keys}, got a "
            f"{type(result).__name__}{size}. Return e.g. {{\"dx_t\": dx_t, \"dh_prev\": dh_prev, "
            "...}.")
    missing = [k for k in KEYS if k not in result]
    if missing:
        have = ", ".join(map(repr, result)) or "no keys"
        raise AssertionError(
            f"{where}: the returned dict is missing {', '.join(map(repr, missing))}; it has "
            f"{have}. The six keys are {expected_keys}.")
    return {k: to_array(result[k], f"{k} for {probe['case']}") for k in KEYS}


def _shape_hint(key, got_shape, expected_shape, batch):
    if len(expected_shape) == 2 and got_shape == expected_shape[::-1] and key != "dh_prev":
        if key in ("dkernel", "drecurrent_kernel"):
            return (f"That is the transposed shape: a weight's gradient has the weight's own shape "
                    f"(rows = inputs, columns = 4*units); {'x_t' if key == 'dkernel' else 'h_prev'}"
                    ".T @ da gives it.")
        return "That is the transposed shape: rows are the examples of the batch."
    units = expected_shape[-1] // 4 if key in ("dkernel", "drecurrent_kernel", "dbias") else None
    if key == "dx_t" and got_shape[:1] == (batch,) and got_shape != expected_shape:
        return ("dx_t should be shaped like x_t (batch, input_dim); x_t met kernel in the forward "
                "pass, so dx_t = da @ kernel.T.")
    if key == "dh_prev" and got_shape[:1] == (batch,) and got_shape != expected_shape:
        return ("dh_prev should be shaped like h_prev (batch, units); h_prev met recurrent_kernel "
                "in the forward pass, so dh_prev = da @ recurrent_kernel.T.")
    if key == "dkernel" and got_shape == (got_shape[0], 4 * units) and got_shape != expected_shape:
        return ("dkernel should be shaped like kernel (input_dim, 4*units): it is x_t.T @ da "
                "(h_prev.T @ da belongs to drecurrent_kernel).")
    if key == "drecurrent_kernel" and got_shape == (got_shape[0], 4 * units) \
            and got_shape != expected_shape:
        return ("drecurrent_kernel should be shaped like recurrent_kernel (units, 4*units): it is "
                "h_prev.T @ da (x_t.T @ da belongs to dkernel).")
    if key == "dbias" and got_shape == (batch,) + expected_shape:
        return ("dbias still has a batch axis: the bias is shared by all examples, so sum da "
                "over the batch (axis=0).")
    if got_shape == (1,) + expected_shape:
        return "There is an extra axis of length 1 in front: sum without keepdims=True."
    arg = {"dx_t": "x_t", "dh_prev": "h_prev", "dc_prev": "c_prev", "dkernel": "kernel",
           "drecurrent_kernel": "recurrent_kernel", "dbias": "bias"}[key]
    return f"Each gradient has the shape of what it is the gradient of: {key} is shaped like {arg}."


def _where_hint(wrong):
    """Which part of the computation to look at, from which gradients are wrong."""
    wrong = set(wrong)
    if wrong == {"dc_prev"}:
        return "Only dc_prev is wrong: look at the line that computes it (dc_prev = dc * f)."
    if wrong == set(FROM_DA):
        return ("dc_prev is right, so your forward recomputation and dc are probably right; the "
                "mistake is in the pre-activation gradients da (one of the four blocks, or their "
                "order).")
    if wrong == set(KEYS):
        return ("All six gradients are wrong, so the mistake comes early: in the forward "
                "recomputation (gates, c_next) or in dc, which every gradient uses.")
    if wrong <= set(FROM_DA):
        return ("Some of the gradients computed from da are right, so da itself is right; the "
                "mistake is in a product that sends da back: dx_t = da @ kernel.T, dh_prev = "
                "da @ recurrent_kernel.T, dkernel = x_t.T @ da, drecurrent_kernel = h_prev.T @ da, "
                "dbias = da.sum(axis=0).")
    return ""


def _explain(got, probe, wrong):
    lines = [f"Right: {', '.join(k for k in KEYS if k not in wrong) or 'none'}. "
             f"Wrong: {', '.join(wrong)}."]
    hint = _where_hint(wrong)
    if hint:
        lines.append(hint)
    return lines + explain(found_in_gradients(got, probe["mistakes"]), what_we_get="result")


def _call(fn, probe):
    try:
        return call_student(fn, *probe["args"], name=NAME)
    except StudentCodeError as err:
        if "not implemented yet" in str(err):
            raise
        raise StudentCodeError(f"{err}\nThis happened for {probe['case']}.") from None


def _check_probe(fn, probe):
    result = _call(fn, probe)
    got = _unpack(result, probe)
    expected = probe["expected"]
    batch = probe["args"][2].shape[0]
    for key in KEYS:
        if got[key].shape != expected[key].shape:
            raise AssertionError(
                f"{key} returned by {NAME} for {probe['case']}: expected shape "
                f"{expected[key].shape}, got shape {got[key].shape}. "
                f"{_shape_hint(key, got[key].shape, expected[key].shape, batch)}")
    wrong = [k for k in KEYS if not matches(got[k], expected[k], ATOL)]
    if not wrong:
        return
    try:
        compare(f"{wrong[0]} returned by {NAME} (compared with {probe['source']})",
                got[wrong[0]], expected[wrong[0]], context=probe["case"])
    except AssertionError as err:
        raise AssertionError("\n".join([str(err)] + _explain(got, probe, wrong))) from None


@checker
def check_lstm_cell_backward(fn, *, hidden=False):
    """Check ``fn(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> dict``.

    Visible: one hand-sized case against finite differences.  Hidden: six
    random cases (batch 1, one unit, input_dim != units, dc_next = 0,
    dh_next = 0, saturated gates, float64) against the reference.
    """
    probes = _PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, probe)
    if hidden:
        passed(f"{NAME} matches the reference on {len(probes)} random cases (batch 1, one unit, "
               "input_dim != units, dc_next = 0, dh_next = 0, saturated gates).")
    else:
        passed(f"{NAME}: all six gradients agree with finite differences "
               "(batch=2, input_dim=2, units=2, non-zero dh_next and dc_next).")
