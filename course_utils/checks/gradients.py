"""Checkers for 02_vanishing_gradients: step Jacobian, gradient norm by lag, BPTT, clipping.

Exercises (student functions, shapes batch first, weights as ``get_weights()``)::

    rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias)        -> (batch, units, units)
    gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias) -> (batch, T+1)
    rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias)           -> dict of 5 gradients
    clip_by_global_norm(grads, clip_norm)                                 -> (list, global_norm)

Expected values come from the references (``course_utils.jacobians``,
``course_utils.simple_rnn``, ``course_utils.clipping``) and, for the visible
BPTT check, from finite differences.  Known mistakes are recognised by
computing the output of each wrong variant on the same probe: forward-pass
mistakes get their COURSE.md id (``[STATE-NOT-CARRIED]``...), gradient mistakes
a plain sentence (ids are a fixed list).
"""

import numpy as np

from .. import clipping, jacobians, simple_rnn
from ..finite_differences import numerical_gradient
from ._core import ATOL, Mistake as _IdMistake, call_student, checker, compare, passed, same, to_array

__all__ = [
    "check_rnn_step_jacobian",
    "check_gradient_norms_by_lag",
    "check_rnn_backward",
    "check_clip_by_global_norm",
]

_LESSON = "02_vanishing_gradients"
SECTIONS = {  # headings of the lesson that the hints send the student back to
    "jacobian": "The step Jacobian",
    "products": "Products of Jacobians",
    "bptt": "Backpropagation through time by hand",
    "clipping": "Gradient clipping by global norm",
}
BACKWARD_KEYS = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")


class Mistake:
    """A known gradient mistake that has no COURSE.md id: a sentence and a section to reread."""

    def __init__(self, sentence, section):
        self.sentence, self.section = sentence, section

    def describe(self):
        return f"Likely mistake: {self.sentence} (Reread: {_LESSON}, '{SECTIONS[self.section]}'.)"

    def __repr__(self):
        return f"Mistake({self.sentence[:40]!r}...)"


# ---------------------------------------------------------------- messages

_checker = checker  # short tracebacks: see _core.checker


def _explain(what, got, expected, *, variants=(), context="", atol=ATOL, shape_hints=None):
    """``compare`` plus known mistakes of both kinds and hints keyed by the shape that came back.

    ``variants`` is a sequence of ``(key, output)`` pairs; a key is a COURSE.md id (str) or a
    ``Mistake``.  Variants equal to ``expected`` on this probe are ignored.
    """
    exp = np.asarray(expected, dtype=np.float64)
    got_arr = to_array(got, what)
    useful = [(k, v) for k, v in variants if np.shape(v) != exp.shape
              or np.abs(np.asarray(v, dtype=np.float64) - exp).max(initial=0) > 10 * atol]
    registry = {k: v for k, v in useful if isinstance(k, str)}
    ours = [k for k, v in useful if isinstance(k, Mistake) and _same(got_arr, v)]
    try:
        compare(what, got_arr, exp, atol=atol, context=context,
                mistakes=[(_IdMistake(k), v) for k, v in registry.items()])
    except AssertionError as err:
        lines = [str(err)]
        hint = (shape_hints or {}).get(got_arr.shape) if got_arr.shape != exp.shape else None
        if hint:
            lines.append(hint)
        lines += [m.describe() for m in ours]
        raise AssertionError("\n".join(lines)) from None


def _same(got, candidate, atol=1e-4):
    return same(got, candidate, atol)


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


# ---------------------------------------------------------------- probes

def _rnn_problem(seed, batch, steps, input_dim, units, *, scale=0.8):
    """Random float64 inputs and weights for one probe (seeded, so a check is reproducible)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, steps, input_dim))
    h0 = rng.uniform(-0.8, 0.8, size=(batch, units))
    kernel = rng.uniform(-scale, scale, size=(input_dim, units))
    recurrent_kernel = rng.uniform(-scale, scale, size=(units, units))
    bias = rng.uniform(-0.5, 0.5, size=units)
    return x, h0, kernel, recurrent_kernel, bias


def _states(x, h0, kernel, recurrent_kernel, bias, *, carry=True, use_bias=True,
            transpose_recurrent=False):
    """States h_0 .. h_T (batch, T+1, units) of a SimpleRNN, optionally with a forward mistake."""
    U = recurrent_kernel.T if transpose_recurrent else recurrent_kernel
    b = bias if use_bias else 0.0
    states = [h0]
    for t in range(x.shape[1]):
        h_in = states[-1] if carry else h0
        states.append(np.tanh(x[:, t] @ kernel + h_in @ U + b))
    return np.stack(states, axis=1)


_FORWARD_MISTAKES = {  # COURSE.md ids for a forward pass recomputed wrongly
    "STATE-NOT-CARRIED": dict(carry=False),
    "MISSING-BIAS": dict(use_bias=False),
    "TRANSPOSED-WEIGHTS": dict(transpose_recurrent=True),
}


# ---------------------------------------------------------------- exercise 1: step Jacobian

_JACOBIAN = {
    "no_slope": Mistake(
        "the tanh derivative is missing: the answer equals recurrent_kernel.T for every example. "
        "Multiply row i by the slope 1 - h_next[i]**2.", "jacobian"),
    "slope_prev": Mistake(
        "the tanh slope was taken at h_prev instead of h_next: the derivative of tanh belongs to "
        "the step's own output, 1 - h_next**2.", "jacobian"),
    "slope_preact": Mistake(
        "the slope was computed from the pre-activation a instead of from h_next = tanh(a): "
        "tanh'(a) = 1 - tanh(a)**2 = 1 - h_next**2, not 1 - a**2.", "jacobian"),
    "transposed": Mistake(
        "your matrix is the transpose of the Jacobian: J[b, i, j] = d h_next[b, i] / d h_prev[b, j] "
        "(rows follow h_next), which is (1 - h_next[b, i]**2) * recurrent_kernel[j, i].", "jacobian"),
    "slope_columns": Mistake(
        "the slope scales the columns instead of the rows (recurrent_kernel.T @ diag(slope)); "
        "row i of J belongs to h_next[i], so it is diag(slope) @ recurrent_kernel.T.", "jacobian"),
    "no_transpose": Mistake(
        "recurrent_kernel was used without the transpose: a step computes h_prev @ U, so "
        "d a[i] / d h_prev[j] = U[j, i], and J = diag(1 - h_next**2) @ U.T.", "jacobian"),
}


def _jacobian_variants(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel
    a = x_t @ kernel + h_prev @ U + bias
    s = 1 - np.tanh(a) ** 2

    def rows(slope, M):
        return slope[:, :, None] * M[None]

    batch = x_t.shape[0]
    out = [
        (_JACOBIAN["no_slope"], np.broadcast_to(U.T, (batch,) + U.shape)),
        (_JACOBIAN["slope_prev"], rows(1 - h_prev**2, U.T)),
        (_JACOBIAN["slope_preact"], rows(1 - a**2, U.T)),
        (_JACOBIAN["transposed"], np.swapaxes(rows(s, U.T), 1, 2)),
        (_JACOBIAN["slope_columns"], U.T[None] * s[:, None, :]),
        (_JACOBIAN["no_transpose"], rows(s, U)),
    ]
    for mid in ("MISSING-BIAS", "TRANSPOSED-WEIGHTS"):  # one step: nothing to carry
        states = _states(x_t[:, None], h_prev, kernel, U, bias, **_FORWARD_MISTAKES[mid])
        out.append((mid, rows(1 - states[:, 1] ** 2, U.T)))
    return out


def _check_jacobian_case(fn, x_t, h_prev, kernel, recurrent_kernel, bias, context):
    batch, units = h_prev.shape
    got = call_student(fn, x_t, h_prev, kernel, recurrent_kernel, bias, name="rnn_step_jacobian")
    expected = jacobians.rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias)
    shape_hints = {
        (units, units): f"You returned one ({units}, {units}) matrix; return one Jacobian per "
                        f"example, stacked into shape (batch, units, units) = "
                        f"{_shape_text(expected.shape)}.",
        (batch, units): "You returned a (batch, units) array, maybe the slope or h_next; the "
                        "Jacobian of each example is a (units, units) matrix.",
    }
    _explain("the Jacobian returned by rnn_step_jacobian", got, expected, context=context,
             variants=_jacobian_variants(x_t, h_prev, kernel, recurrent_kernel, bias),
             shape_hints=shape_hints)


def jacobian_probes(hidden):
    """``[(args, context)]``: the inputs of each case of ``check_rnn_step_jacobian``."""
    if not hidden:
        # Readable case: everything zero but U, so h_next = 0, the slope is 1 and J = U.T.
        readable = (np.zeros((1, 3)), np.zeros((1, 2)), np.full((3, 2), 0.5),
                    np.array([[0.1, 0.2], [0.3, 0.4]]), np.zeros(2))
        x, h0, W, U, b = _rnn_problem(seed=21, batch=2, steps=1, input_dim=2, units=3)
        return [
            (readable, "x_t = 0, h_prev = 0, bias = 0, recurrent_kernel = [[0.1, 0.2], "
                       "[0.3, 0.4]] (h_next = 0, so the tanh slope is 1 and J[0] must be "
                       "recurrent_kernel.T)"),
            ((x[:, 0], h0, W, U, b), "batch=2, input_dim=2, units=3, random weights and h_prev"),
        ]
    probes = []
    # (seed, batch, input_dim, units, weight scale); seeds chosen so that every known
    # mistake is at least 0.05 away from the right answer (tests/test_checks_gradients.py)
    for seed, batch, input_dim, units, scale in [
            (35, 1, 1, 1, 1.5), (33, 1, 3, 2, 1.0), (33, 3, 2, 4, 1.2), (34, 2, 5, 3, 0.6)]:
        x, h0, W, U, b = _rnn_problem(seed, batch, 1, input_dim, units, scale=scale)
        probes.append(((x[:, 0], h0, W, U, b), f"batch={batch}, input_dim={input_dim}, "
                                              f"units={units}, random weights and h_prev"))
    return probes


@_checker
def check_rnn_step_jacobian(fn, *, hidden=False):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> J (batch, units, units)``."""
    probes = jacobian_probes(hidden)
    for args, context in probes:
        _check_jacobian_case(fn, *args, context=context)
    if not hidden:
        passed("rnn_step_jacobian: shape (batch, units, units) and values equal "
               "diag(1 - h_next**2) @ recurrent_kernel.T on 2 cases.")
    else:
        passed(f"rnn_step_jacobian matches the reference on {len(probes)} random cases "
               f"(batch 1, one unit, input_dim != units, non-zero h_prev).")


# ---------------------------------------------------------------- exercise 2: norms by lag

_NORMS = {
    "no_slope": Mistake(
        "the tanh derivative is missing: each step back multiplies by recurrent_kernel.T only. "
        "Going from h_t to h_(t-1), multiply the gradient by 1 - h_t**2 first.", "products"),
    "slope_prev": Mistake(
        "the tanh slope comes from the wrong step: to go back from h_t to h_(t-1), use "
        "1 - h_t**2 (the output of that step), not 1 - h_(t-1)**2.", "products"),
    "no_transpose": Mistake(
        "the gradient was multiplied by recurrent_kernel instead of its transpose: "
        "dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ recurrent_kernel.T.", "products"),
    "slope_after": Mistake(
        "the tanh slope was applied after the product with recurrent_kernel.T instead of before "
        "it: dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ recurrent_kernel.T.", "products"),
    "reversed": Mistake(
        "the norms are in time order instead of lag order: column k must be the norm of "
        "dL/dh_(T-k), so column 0 is |dh_last| and column T belongs to h0.", "products"),
    "squared": Mistake(
        "these are squared norms: take the square root of the sum of squares over the units "
        "(np.linalg.norm(g, axis=-1)).", "products"),
}


def _norms_of(grads):
    return np.sqrt((grads**2).sum(axis=-1))


def _lag_gradients(dh_last, states, U, *, slope="next", transpose=True, slope_after=False):
    """dL/dh_(T-k) for k = 0..T (batch, T+1, units), optionally with a known backward mistake."""
    steps = states.shape[1] - 1
    M = U.T if transpose else U
    g, out = dh_last, [dh_last]
    for k in range(1, steps + 1):
        t = steps - k + 1
        s = {"next": 1 - states[:, t] ** 2, "prev": 1 - states[:, t - 1] ** 2,
             "none": 1.0}[slope]
        g = (g @ M) * s if slope_after else (g * s) @ M
        out.append(g)
    return np.stack(out, axis=1)


def _norms_variants(dh_last, x, h0, kernel, recurrent_kernel, bias):
    U = recurrent_kernel
    states = _states(x, h0, kernel, U, bias)
    correct = _norms_of(_lag_gradients(dh_last, states, U))
    out = [
        (_NORMS["no_slope"], _norms_of(_lag_gradients(dh_last, states, U, slope="none"))),
        (_NORMS["slope_prev"], _norms_of(_lag_gradients(dh_last, states, U, slope="prev"))),
        (_NORMS["no_transpose"], _norms_of(_lag_gradients(dh_last, states, U, transpose=False))),
        (_NORMS["slope_after"], _norms_of(_lag_gradients(dh_last, states, U, slope_after=True))),
        (_NORMS["reversed"], correct[:, ::-1]),
        (_NORMS["squared"], correct**2),
    ]
    for mid, kwargs in _FORWARD_MISTAKES.items():
        if mid == "TRANSPOSED-WEIGHTS":
            continue  # the lag loop itself already covers recurrent_kernel's orientation
        wrong_states = _states(x, h0, kernel, U, bias, **kwargs)
        out.append((mid, _norms_of(_lag_gradients(dh_last, wrong_states, U))))
    return out


def _check_norms_case(fn, dh_last, x, h0, kernel, recurrent_kernel, bias, context):
    batch, steps, _ = x.shape
    got = call_student(fn, dh_last, x, h0, kernel, recurrent_kernel, bias,
                       name="gradient_norms_by_lag")
    expected = jacobians.gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias)
    units = h0.shape[1]
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
    _explain("the norms returned by gradient_norms_by_lag", got, expected, context=context,
             variants=_norms_variants(dh_last, x, h0, kernel, recurrent_kernel, bias),
             shape_hints=shape_hints)


def norms_probes(hidden):
    """``[(args, context)]``: the inputs of each case of ``check_gradient_norms_by_lag``."""
    if not hidden:
        # Readable case: zero inputs, state and bias keep every h_t at 0 (slope 1), and
        # U = 0.5 * rotation, so each step back multiplies the norm by exactly 0.5.
        c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
        readable = (np.array([[1.0, 0.0]]), np.zeros((1, 4, 1)), np.zeros((1, 2)),
                    np.ones((1, 2)), 0.5 * np.array([[c, -s], [s, c]]), np.zeros(2))
        x, h0, W, U, b = _rnn_problem(seed=42, batch=2, steps=5, input_dim=2, units=3)
        dh_last = np.random.default_rng(142).normal(size=(2, 3))
        return [
            (readable, "x = 0, h0 = 0, bias = 0, dh_last = [[1, 0]], recurrent_kernel = 0.5 * a "
                       "rotation, T = 4 (every slope is 1, so the norms must be [1, 0.5, 0.25, "
                       "0.125, 0.0625])"),
            ((dh_last, x, h0, W, U, b), "batch=2, T=5, input_dim=2, units=3, random weights "
                                        "and h0"),
        ]
    probes = []
    # (seed, batch, steps, input_dim, units, weight scale); every norm stays above 0.02, so an
    # absolute tolerance is meaningful, and every known mistake is at least 0.05 away
    for seed, batch, steps, input_dim, units, scale in [
            (51, 1, 1, 2, 1, 1.0), (52, 1, 6, 1, 2, 1.0), (54, 3, 7, 3, 4, 0.9),
            (57, 2, 4, 5, 3, 1.1)]:
        x, h0, W, U, b = _rnn_problem(seed, batch, steps, input_dim, units, scale=scale)
        dh_last = np.random.default_rng(seed + 100).normal(size=(batch, units))
        probes.append(((dh_last, x, h0, W, U, b), f"batch={batch}, T={steps}, "
                       f"input_dim={input_dim}, units={units}, random weights and h0"))
    return probes


@_checker
def check_gradient_norms_by_lag(fn, *, hidden=False):
    """Check ``fn(dh_last, x, h0, kernel, recurrent_kernel, bias) -> norms (batch, T+1)``."""
    probes = norms_probes(hidden)
    for args, context in probes:
        _check_norms_case(fn, *args, context=context)
    if not hidden:
        passed("gradient_norms_by_lag: shape (batch, T+1) and norms of dL/dh_(T-k) correct "
               "on 2 cases.")
    else:
        passed(f"gradient_norms_by_lag matches the reference on {len(probes)} random cases "
               f"(batch 1, T=1, one unit, input_dim != units, non-zero h0).")


# ---------------------------------------------------------------- exercise 3: BPTT

_BPTT = {
    "no_carry": Mistake(
        "the gradient flowing back from the next step is missing: the state h_t feeds both the "
        "output at step t and step t+1, so the gradient at h_t is dh_seq[:, t] plus what comes "
        "back from step t+1.", "bptt"),
    "no_slope": Mistake(
        "the tanh derivative is missing: before any product, multiply the gradient at h_t by "
        "1 - h_t**2 (da = dh * (1 - h_t**2)).", "bptt"),
    "slope_prev": Mistake(
        "the tanh slope comes from the wrong state: step t's derivative is 1 - h_t**2 with h_t the "
        "state that step produced, not the state it received.", "bptt"),
    "overwritten": Mistake(
        "the weight gradients hold only one step's term: the same weights serve every step, so "
        "add each step's contribution (+=) instead of overwriting it (=).", "bptt"),
    "last_output_only": Mistake(
        "only dh_seq[:, -1] was used: the loss reads every step's output, so add dh_seq[:, t] "
        "at each step on the way back.", "bptt"),
    "dh0_not_through_step": Mistake(
        "the returned dh0 is the gradient at h_1, not at h0: take it one more step back, "
        "through the first step: (dh * (1 - h_1**2)) @ recurrent_kernel.T.", "bptt"),
    "no_transpose": Mistake(
        "the gradient went back through recurrent_kernel instead of its transpose: "
        "dh_prev = da @ recurrent_kernel.T (and dx_t = da @ kernel.T).", "bptt"),
    "batch_mean": Mistake(
        "the weight gradients were averaged over the batch; the loss is a sum over examples, so "
        "sum their contributions (x_t.T @ da already sums over the batch).", "bptt"),
}


def _bptt(dh_seq, x, h0, kernel, recurrent_kernel, bias, *, states=None, carry=True,
          slope="next", accumulate=True, last_output_only=False, dh0_through_step=True,
          transpose=True, batch_mean=False):
    """BPTT in float64, optionally with one known mistake (defaults give the right answer)."""
    if states is None:
        states = _states(x, h0, kernel, recurrent_kernel, bias)
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
        s = {"next": 1 - states[:, t + 1] ** 2, "prev": 1 - states[:, t] ** 2, "none": 1.0}[slope]
        da = dh * s
        dx[:, t] = da @ kernel.T
        terms = {"dkernel": x[:, t].T @ da, "drecurrent_kernel": states[:, t].T @ da,
                 "dbias": da.sum(axis=0)}
        for key, term in terms.items():
            grads[key] = grads[key] + term if accumulate else term
        carry_grad = da @ M
    if batch_mean:
        grads = {k: v / batch for k, v in grads.items()}
    return {"dx": dx, "dh0": carry_grad if dh0_through_step else dh, **grads}


def _bptt_variants(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """``[(key, gradients dict)]`` of the known mistakes on this probe."""
    args = (dh_seq, x, h0, kernel, recurrent_kernel, bias)
    out = [
        (_BPTT["no_carry"], _bptt(*args, carry=False)),
        (_BPTT["no_slope"], _bptt(*args, slope="none")),
        (_BPTT["slope_prev"], _bptt(*args, slope="prev")),
        (_BPTT["overwritten"], _bptt(*args, accumulate=False)),
        (_BPTT["last_output_only"], _bptt(*args, last_output_only=True)),
        (_BPTT["dh0_not_through_step"], _bptt(*args, dh0_through_step=False)),
        (_BPTT["no_transpose"], _bptt(*args, transpose=False)),
        (_BPTT["batch_mean"], _bptt(*args, batch_mean=True)),
    ]
    for mid in ("STATE-NOT-CARRIED", "MISSING-BIAS"):
        states = _states(x, h0, kernel, recurrent_kernel, bias, **_FORWARD_MISTAKES[mid])
        out.append((mid, _bptt(*args, states=states)))
    return out


def _finite_difference_gradients(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """Gradients of L = sum(dh_seq * h_seq) by central differences (float64)."""
    inputs = {"dx": x, "dh0": h0, "dkernel": kernel, "drecurrent_kernel": recurrent_kernel,
              "dbias": bias}
    out = {}
    for key, value in inputs.items():
        def loss(v, key=key):
            args = {**inputs, key: v}
            h_seq = simple_rnn.rnn_forward(args["dx"], args["dh0"], args["dkernel"],
                                           args["drecurrent_kernel"], args["dbias"])
            return float((dh_seq * h_seq).sum())
        out[key] = numerical_gradient(loss, value)
    return out


def _unpack_gradients(result, context):
    if result is None:
        raise AssertionError(
            f"rnn_backward for {context}: expected a dict with keys {', '.join(BACKWARD_KEYS)} "
            f"but got None. Did you forget `return`?")
    if not isinstance(result, dict):
        raise AssertionError(
            f"rnn_backward for {context}: expected a dict with keys {', '.join(BACKWARD_KEYS)}, "
            f"got a {type(result).__name__}.")
    missing = [k for k in BACKWARD_KEYS if k not in result]
    if missing:
        raise AssertionError(
            f"rnn_backward for {context}: the returned dict has no key(s) {', '.join(missing)}; "
            f"expected keys {', '.join(BACKWARD_KEYS)} (it has {', '.join(map(str, result)) or 'none'}).")
    return result


def _backward_shape_hints(key, expected_shape, x_shape):
    batch, steps, input_dim = x_shape
    shape = expected_shape
    hints = {}
    if len(shape) == 2 and shape[0] != shape[1]:
        hints[shape[::-1]] = (f"{key} has the transposed shape: a weight's gradient has the "
                              f"weight's shape {_shape_text(shape)}, e.g. x_t.T @ da for dkernel.")
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


def _check_backward_case(fn, dh_seq, x, h0, kernel, recurrent_kernel, bias, context, *,
                         finite_differences):
    result = call_student(fn, dh_seq, x, h0, kernel, recurrent_kernel, bias, name="rnn_backward")
    got = _unpack_gradients(result, context)
    if finite_differences:
        expected = _finite_difference_gradients(dh_seq, x, h0, kernel, recurrent_kernel, bias)
        source = "the finite-difference gradient"
    else:
        expected = simple_rnn.rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias)
        source = "the reference gradient"
    variants = _bptt_variants(dh_seq, x, h0, kernel, recurrent_kernel, bias)
    for key in BACKWARD_KEYS:
        _explain(f"{key} returned by rnn_backward (compared with {source})", got[key],
                 expected[key], context=context,
                 variants=[(mistake, grads[key]) for mistake, grads in variants],
                 shape_hints=_backward_shape_hints(key, np.shape(expected[key]), x.shape))


def backward_probes(hidden):
    """``[(args, context)]``: the inputs of each case of ``check_rnn_backward``."""
    if not hidden:
        x, h0, W, U, b = _rnn_problem(seed=61, batch=2, steps=3, input_dim=2, units=3)
        dh_seq = np.random.default_rng(161).normal(size=(2, 3, 3))
        return [((dh_seq, x, h0, W, U, b), "batch=2, T=3, input_dim=2, units=3, non-zero h0, "
                                           "loss L = sum(dh_seq * h_seq)")]
    probes = []
    # (seed, batch, steps, input_dim, units); every known mistake at least 0.05 away
    for seed, batch, steps, input_dim, units in [
            (77, 1, 1, 1, 1), (72, 1, 4, 3, 2), (73, 3, 5, 2, 4), (75, 2, 6, 4, 1),
            (75, 2, 3, 1, 3)]:
        x, h0, W, U, b = _rnn_problem(seed, batch, steps, input_dim, units)
        dh_seq = np.random.default_rng(seed + 100).normal(size=(batch, steps, units))
        probes.append(((dh_seq, x, h0, W, U, b), f"batch={batch}, T={steps}, "
                       f"input_dim={input_dim}, units={units}, random weights and h0"))
    return probes


@_checker
def check_rnn_backward(fn, *, hidden=False):
    """Check ``fn(dh_seq, x, h0, kernel, recurrent_kernel, bias) -> dict`` (BPTT of a SimpleRNN).

    Visible: against finite differences (an independent computation).
    Hidden: against the reference ``course_utils.simple_rnn.rnn_backward``.
    """
    probes = backward_probes(hidden)
    for args, context in probes:
        _check_backward_case(fn, *args, context=context, finite_differences=not hidden)
    if not hidden:
        passed("rnn_backward: dx, dh0, dkernel, drecurrent_kernel and dbias agree with finite "
               "differences (batch=2, T=3).")
    else:
        passed(f"rnn_backward matches the reference BPTT on {len(probes)} random cases "
               f"(batch 1, T=1, one unit, input_dim != units, non-zero h0).")


# ---------------------------------------------------------------- exercise 4: clipping

_CLIP = {
    "each": Mistake(
        "each array was clipped on its own; clipping by global norm scales ALL arrays by the same "
        "factor clip_norm / max(global_norm, clip_norm), which keeps the gradient's direction.",
        "clipping"),
    "always": Mistake(
        "the gradient was rescaled although it was already shorter than clip_norm; clipping only "
        "ever shrinks: the factor is min(1, clip_norm / global_norm).", "clipping"),
    "sum_of_norms": Mistake(
        "the global norm was computed as the sum of the arrays' norms; it is the norm of all "
        "entries together: sqrt(sum of every squared entry).", "clipping"),
    "no_sqrt": Mistake(
        "the global norm is missing its square root: sqrt(sum of every squared entry).",
        "clipping"),
    "unit_length": Mistake(
        "the gradient was divided by its norm but not multiplied by clip_norm: the clipped "
        "gradient's length must be clip_norm.", "clipping"),
    "unchanged": Mistake(
        "the arrays came back unchanged although their global norm exceeds clip_norm.", "clipping"),
    "norm_after": Mistake(
        "the returned norm is the norm after clipping; return the global norm of the gradient "
        "you were given (before clipping), as tf.clip_by_global_norm does.", "clipping"),
}


def _clip_variants(grads, clip_norm):
    """``[(mistake, (clipped list, norm))]`` of the known wrong clippings on this probe."""
    norms = [float(np.sqrt((g**2).sum())) for g in grads]
    total = float(np.sqrt(sum(n**2 for n in norms)))

    def scaled(factor, norm=total):
        return [g * factor for g in grads], norm

    right = min(1.0, clip_norm / total) if total > 0 else 1.0
    out = [
        (_CLIP["each"], ([g * min(1.0, clip_norm / n) if n > 0 else g
                          for g, n in zip(grads, norms)], total)),
        (_CLIP["sum_of_norms"], scaled(min(1.0, clip_norm / max(sum(norms), 1e-300)), sum(norms))),
        (_CLIP["no_sqrt"], scaled(min(1.0, clip_norm / max(total**2, 1e-300)), total**2)),
        (_CLIP["unchanged"], scaled(1.0)),
        (_CLIP["norm_after"], scaled(right, total * right)),
    ]
    if total > 0:
        out += [(_CLIP["always"], scaled(clip_norm / total)),
                (_CLIP["unit_length"], scaled(1.0 / total))]
    return out


def _shape_or_none(value):
    """The shape numpy sees in ``value``, or None for a ragged list."""
    try:
        return to_array(value, "value").shape
    except AssertionError:
        return None


def _check_clip_case(fn, grads, clip_norm, context):
    n = len(grads)
    result = call_student(fn, list(grads), clip_norm, name="clip_by_global_norm")
    if isinstance(result, (tuple, list)) and len(result) == n and all(
            _shape_or_none(r) == np.shape(g) for r, g in zip(result, grads)):
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
    expected, expected_norm = clipping.clip_by_global_norm(grads, clip_norm)
    variants = _clip_variants([np.asarray(g, dtype=np.float64) for g in grads], clip_norm)
    # Diagnose on everything at once (all arrays and the norm), then report the first difference.
    signature = np.concatenate([to_array(c, f"clipped[{i}]").ravel() for i, c in enumerate(clipped)]
                               + [to_array(norm, "global_norm").ravel()]) \
        if all(np.shape(c) == np.shape(g) for c, g in zip(clipped, grads)) else None
    matched = []
    if signature is not None:
        for mistake, (v_list, v_norm) in variants:
            candidate = np.concatenate([np.ravel(v) for v in v_list] + [np.ravel(v_norm)])
            reference = np.concatenate([np.ravel(e) for e in expected] + [np.ravel(expected_norm)])
            if np.abs(candidate - reference).max() > 10 * ATOL and _same(signature, candidate):
                matched.append(mistake)
    hints = "".join("\n" + m.describe() for m in matched)
    for i, (c, e) in enumerate(zip(clipped, expected)):
        try:
            compare(f"clipped[{i}] returned by clip_by_global_norm", c, e, context=context)
        except AssertionError as err:
            raise AssertionError(str(err) + hints) from None
    norm_arr = to_array(norm, "global_norm returned by clip_by_global_norm")
    if norm_arr.size != 1:
        raise AssertionError(
            f"global_norm returned by clip_by_global_norm for {context}: expected one number "
            f"(the norm of all gradients together), got an array of shape {norm_arr.shape}.{hints}")
    try:  # as 1-element arrays: compare() does not take 0-d arrays
        compare("global_norm returned by clip_by_global_norm", norm_arr.reshape(1),
                np.reshape(expected_norm, 1), context=context)
    except AssertionError as err:
        raise AssertionError(str(err) + hints) from None


def clipping_probes(hidden):
    """``[(grads, clip_norm, context)]``: the cases of ``check_clip_by_global_norm``."""
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


@_checker
def check_clip_by_global_norm(fn, *, hidden=False):
    """Check ``fn(grads, clip_norm) -> (clipped list, global_norm)``."""
    probes = clipping_probes(hidden)
    for grads, clip_norm, context in probes:
        _check_clip_case(fn, grads, clip_norm, context)
    if not hidden:
        passed("clip_by_global_norm: shrinks all arrays by one common factor when the global "
               "norm exceeds clip_norm, leaves them alone otherwise, returns the norm before.")
    else:
        passed(f"clip_by_global_norm matches tf.clip_by_global_norm's rule on {len(probes)} "
               f"cases (float32 and float64, above and below the threshold, zero gradients).")
