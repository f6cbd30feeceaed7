"""The 02_vanishing_gradients checkers as a student meets them: right answers in any style pass
quietly with one line, each known mistake fails with its sentence (or its COURSE.md id), and odd
returns get plain words."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from course_utils import clipping, jacobians, simple_rnn
from course_utils.checks import (MISCONCEPTIONS, check_clip_by_global_norm,
                                 check_gradient_norms_by_lag, check_rnn_backward,
                                 check_rnn_step_jacobian)
from course_utils.checks import gradients as G
from check_helpers import flat

NOTEBOOK = (Path(__file__).resolve().parents[1] / "solutions" / "02_vanishing_gradients"
            / "02_vanishing_gradients.ipynb")
from course_utils.checks.misconceptions import ID_PATTERN as MISTAKE_ID  # noqa: E402


def _forward(x, h0, W, U, b):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        states.append(h)
    return np.stack(states, axis=1)


# ======================================================================== right answers

def jac_loops(x_t, h_prev, kernel, recurrent_kernel, bias):
    """Entry by entry, straight from J[i, j] = (1 - h[i]**2) * U[j, i]."""
    batch, units = h_prev.shape
    J = np.zeros((batch, units, units))
    for n in range(batch):
        h = np.tanh(x_t[n] @ kernel + h_prev[n] @ recurrent_kernel + bias)
        for i in range(units):
            for j in range(units):
                J[n, i, j] = (1 - h[i] ** 2) * recurrent_kernel[j, i]
    return J


def jac_diag_float32(x_t, h_prev, kernel, recurrent_kernel, bias):
    """np.diag per example, float32 arithmetic, returned as nested lists."""
    args = [np.asarray(a, np.float32) for a in (x_t, h_prev, kernel, recurrent_kernel, bias)]
    h = np.tanh(args[0] @ args[2] + args[1] @ args[3] + args[4])
    return [(np.diag(1 - row**2) @ args[3].T).tolist() for row in h]


def jac_einsum_mutating(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(np.einsum("bi,iu->bu", x_t, kernel) + h_prev @ recurrent_kernel + bias)
    J = np.einsum("bi,ji->bij", 1 - h * h, recurrent_kernel)
    for a in (x_t, h_prev, kernel, recurrent_kernel, bias):
        a *= 0  # must not change what the next case sees
    return J


def norms_solution_style(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_seq = simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=-1)]
    for t in range(x.shape[1], 0, -1):
        g = (g * (1 - h_seq[:, t - 1] ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=-1))
    return np.stack(norms, axis=1)


def norms_via_jacobian_products(dh_last, x, h0, kernel, recurrent_kernel, bias):
    """Builds the products explicitly from step Jacobians and fills a preallocated array."""
    h_seq = _forward(x, h0, kernel, recurrent_kernel, bias)
    batch, steps, units = h_seq.shape
    out = np.empty((batch, steps + 1))
    P = np.broadcast_to(np.eye(units), (batch, units, units)).copy()
    out[:, 0] = np.sqrt((dh_last**2).sum(1))
    for k in range(1, steps + 1):
        h = h_seq[:, steps - k]
        J = (1 - h**2)[:, :, None] * recurrent_kernel.T[None]
        P = P @ J
        out[:, k] = np.linalg.norm(np.einsum("bi,bij->bj", dh_last, P), axis=1)
    return out


def norms_float32_lists(*args):
    return jacobians.gradient_norms_by_lag(*(np.asarray(a, np.float32) for a in args)).tolist()


def backward_solution_style(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    h_seq = simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_prev_seq = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)
    dx = np.zeros_like(x)
    dW, dU, db = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        da = (dh_seq[:, t] + dh_next) * (1 - h_seq[:, t] ** 2)
        dx[:, t] = da @ kernel.T
        dW += x[:, t].T @ da
        dU += h_prev_seq[:, t].T @ da
        db += da.sum(axis=0)
        dh_next = da @ recurrent_kernel.T
    return {"dx": dx, "dh0": dh_next, "dkernel": dW, "drecurrent_kernel": dU, "dbias": db}


def backward_per_example_einsum(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """One example at a time with einsum outer products, states kept in a Python list."""
    out = {"dx": np.zeros(x.shape), "dh0": np.zeros(h0.shape), "dkernel": 0.0,
           "drecurrent_kernel": 0.0, "dbias": 0.0}
    for n in range(x.shape[0]):
        hs = [h0[n]]
        for t in range(x.shape[1]):
            hs.append(np.tanh(x[n, t] @ kernel + hs[-1] @ recurrent_kernel + bias))
        carry = np.zeros(h0.shape[1])
        for t in range(x.shape[1] - 1, -1, -1):
            da = (dh_seq[n, t] + carry) * (1 - hs[t + 1] ** 2)
            out["dx"][n, t] = kernel @ da
            out["dkernel"] = out["dkernel"] + np.einsum("i,u->iu", x[n, t], da)
            out["drecurrent_kernel"] = out["drecurrent_kernel"] + np.einsum("i,u->iu", hs[t], da)
            out["dbias"] = out["dbias"] + da
            carry = recurrent_kernel @ da
        out["dh0"][n] = carry
    return out


def backward_float32_mutating(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    grads = simple_rnn.rnn_backward(*(np.asarray(a, np.float32) for a in
                                      (dh_seq, x, h0, kernel, recurrent_kernel, bias)))
    for a in (dh_seq, x, h0, kernel, recurrent_kernel, bias):
        a *= 0
    return {k: v.tolist() for k, v in grads.items()}


def clip_solution_style(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = clip_norm / max(norm, clip_norm)
    return [g * scale for g in grads], norm


def clip_if_else_tuple(grads, clip_norm):
    """if/else, np.linalg.norm per array, returns a tuple of arrays and a Python float."""
    norm = float(np.sqrt(sum(np.linalg.norm(g) ** 2 for g in grads)))
    if norm > clip_norm:
        return tuple(g * (clip_norm / norm) for g in grads), norm
    return tuple(grads), norm


def clip_concatenate_min(grads, clip_norm):
    """Flatten everything into one vector, min(1, c / norm) with the 0/0 case silenced."""
    flat = np.concatenate([g.ravel() for g in grads])
    norm = np.linalg.norm(flat)
    factor = np.minimum(1.0, clip_norm / norm)  # inf when norm == 0: min gives 1
    return [g * factor for g in grads], np.float32(norm)


CORRECT = [
    (check_rnn_step_jacobian, jacobians.rnn_step_jacobian),
    (check_rnn_step_jacobian, jac_loops),
    (check_rnn_step_jacobian, jac_diag_float32),
    (check_rnn_step_jacobian, jac_einsum_mutating),
    (check_gradient_norms_by_lag, jacobians.gradient_norms_by_lag),
    (check_gradient_norms_by_lag, norms_solution_style),
    (check_gradient_norms_by_lag, norms_via_jacobian_products),
    (check_gradient_norms_by_lag, norms_float32_lists),
    (check_rnn_backward, simple_rnn.rnn_backward),
    (check_rnn_backward, backward_solution_style),
    (check_rnn_backward, backward_per_example_einsum),
    (check_rnn_backward, backward_float32_mutating),
    (check_clip_by_global_norm, clipping.clip_by_global_norm),
    (check_clip_by_global_norm, clip_solution_style),
    (check_clip_by_global_norm, clip_if_else_tuple),
    (check_clip_by_global_norm, clip_concatenate_min),
]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("check, fn", CORRECT, ids=[f"{c.__name__}-{f.__name__}" for c, f in CORRECT])
def test_right_answers_pass_with_one_quiet_line(check, fn, hidden, capfd):
    check(fn, hidden=hidden)
    out, err = capfd.readouterr()
    assert err == ""
    assert out.count("\n") == 1 and out.startswith("\u2714 "), out


# ======================================================================== known mistakes

def _jac(slope_of, matrix, *, bias=True, forward_U=lambda U: U):
    """A wrong step Jacobian: ``slope_of(h_next, h_prev, a)`` and ``matrix(U, slope)``."""
    def rnn_step_jacobian(x_t, h_prev, kernel, recurrent_kernel, bias_):
        a = x_t @ kernel + h_prev @ forward_U(recurrent_kernel) + (bias_ if bias else 0)
        h = np.tanh(a)
        return matrix(recurrent_kernel, slope_of(h, h_prev, a))
    return rnn_step_jacobian


_rows = lambda U, s: s[:, :, None] * U.T[None]  # noqa: E731 - the right layout
_slope = lambda h, hp, a: 1 - h**2  # noqa: E731

JACOBIAN_MISTAKES = {
    "no_slope": _jac(_slope, lambda U, s: np.stack([U.T] * s.shape[0])),
    "slope_prev": _jac(lambda h, hp, a: 1 - hp**2, _rows),
    "slope_preact": _jac(lambda h, hp, a: 1 - a**2, _rows),
    "transposed": _jac(_slope, lambda U, s: _rows(U, s).transpose(0, 2, 1)),
    "slope_columns": _jac(_slope, lambda U, s: U.T[None] * s[:, None, :]),
    "no_transpose": _jac(_slope, lambda U, s: s[:, :, None] * U[None]),
    "MISSING-BIAS": _jac(_slope, _rows, bias=False),
    "TRANSPOSED-WEIGHTS": _jac(_slope, _rows, forward_U=lambda U: U.T),
}


def _norms(*, slope="next", transpose=True, after=False, forward=None, post=lambda n: n):
    def gradient_norms_by_lag(dh_last, x, h0, kernel, recurrent_kernel, bias):
        h_seq = (forward or _forward)(x, h0, kernel, recurrent_kernel, bias)
        states = np.concatenate([h0[:, None], h_seq], axis=1)
        M = recurrent_kernel.T if transpose else recurrent_kernel
        g, out = dh_last, [np.linalg.norm(dh_last, axis=1)]
        for t in range(x.shape[1], 0, -1):
            s = {"next": 1 - states[:, t] ** 2, "prev": 1 - states[:, t - 1] ** 2, "none": 1}[slope]
            g = (g @ M) * s if after else (g * s) @ M
            out.append(np.linalg.norm(g, axis=1))
        return post(np.stack(out, axis=1))
    return gradient_norms_by_lag


def _forward_h0_every_step(x, h0, W, U, b):
    return np.stack([np.tanh(x[:, t] @ W + h0 @ U + b) for t in range(x.shape[1])], axis=1)


NORMS_MISTAKES = {
    "no_slope": _norms(slope="none"),
    "slope_prev": _norms(slope="prev"),
    "no_transpose": _norms(transpose=False),
    "slope_after": _norms(after=True),
    "reversed": _norms(post=lambda n: n[:, ::-1]),
    "squared": _norms(post=lambda n: n**2),
    "STATE-NOT-CARRIED": _norms(forward=_forward_h0_every_step),
    "MISSING-BIAS": _norms(forward=lambda x, h0, W, U, b: _forward(x, h0, W, U, 0 * b)),
}


def _bptt(**mistake):
    def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
        return G._bptt(dh_seq, x, h0, kernel, recurrent_kernel, bias, **mistake)
    return rnn_backward


def _bptt_with_forward(forward):
    def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
        states = np.concatenate([h0[:, None], forward(x, h0, kernel, recurrent_kernel, bias)], 1)
        return G._bptt(dh_seq, x, h0, kernel, recurrent_kernel, bias, states=states)
    return rnn_backward


def bptt_forgot_next_step(dh_seq, x, h0, kernel, recurrent_kernel, bias):
    """Written out independently of the checker's variant code."""
    h_seq = simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    h_prev = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1)
    grads = {"dx": np.zeros_like(x), "dkernel": 0, "drecurrent_kernel": 0, "dbias": 0}
    for t in reversed(range(x.shape[1])):
        da = dh_seq[:, t] * (1 - h_seq[:, t] ** 2)        # no gradient from step t+1
        grads["dx"][:, t] = da @ kernel.T
        grads["dkernel"] = grads["dkernel"] + x[:, t].T @ da
        grads["drecurrent_kernel"] = grads["drecurrent_kernel"] + h_prev[:, t].T @ da
        grads["dbias"] = grads["dbias"] + da.sum(0)
        grads["dh0"] = da @ recurrent_kernel.T
    return grads


BPTT_MISTAKES = {
    "no_carry": bptt_forgot_next_step,
    "no_slope": _bptt(slope="none"),
    "slope_prev": _bptt(slope="prev"),
    "overwritten": _bptt(accumulate=False),
    "last_output_only": _bptt(last_output_only=True),
    "dh0_not_through_step": _bptt(dh0_through_step=False),
    "no_transpose": _bptt(transpose=False),
    "batch_mean": _bptt(batch_mean=True),
    "STATE-NOT-CARRIED": _bptt_with_forward(_forward_h0_every_step),
    "MISSING-BIAS": _bptt_with_forward(lambda x, h0, W, U, b: _forward(x, h0, W, U, 0 * b)),
}


def _clip(factor, norm_of):
    """A wrong clipping: every array times ``factor(norms, c)``, returning ``norm_of(norms, c)``."""
    def clip_by_global_norm(grads, clip_norm):
        norms = [np.linalg.norm(g) for g in grads]
        return [g * factor(norms, clip_norm) for g in grads], norm_of(norms, clip_norm)
    return clip_by_global_norm


def _total(norms):
    return np.sqrt(sum(n**2 for n in norms))


def clip_each_array(grads, clip_norm):
    clipped = [g * min(1.0, clip_norm / max(np.linalg.norm(g), 1e-12)) for g in grads]
    return clipped, _total([np.linalg.norm(g) for g in grads])


CLIP_MISTAKES = {
    "each": clip_each_array,
    "always": _clip(lambda n, c: c / max(_total(n), 1e-300), lambda n, c: _total(n)),
    "sum_of_norms": _clip(lambda n, c: min(1, c / max(sum(n), 1e-300)), lambda n, c: sum(n)),
    "no_sqrt": _clip(lambda n, c: min(1, c / max(_total(n) ** 2, 1e-300)),
                     lambda n, c: _total(n) ** 2),
    "unit_length": _clip(lambda n, c: 1 / max(_total(n), 1e-300), lambda n, c: _total(n)),
    "unchanged": _clip(lambda n, c: 1.0, lambda n, c: _total(n)),
    "norm_after": _clip(lambda n, c: min(1, c / max(_total(n), 1e-300)),
                        lambda n, c: min(_total(n), c)),
}

# Which hint each mistake must produce; a few visible probes cannot tell two mistakes apart
# (with slope 1, the transposed Jacobian and U without transpose both give U).
TABLES = {
    check_rnn_step_jacobian: (G._JACOBIAN, JACOBIAN_MISTAKES),
    check_gradient_norms_by_lag: (G._NORMS, NORMS_MISTAKES),
    check_rnn_backward: (G._BPTT, BPTT_MISTAKES),
    check_clip_by_global_norm: (G._CLIP, CLIP_MISTAKES),
}
ALSO_ALLOWED = {
    (check_rnn_step_jacobian, "transposed", False): {"no_transpose"},
    (check_rnn_step_jacobian, "no_transpose", False): {"transposed"},
}
WRONG = [(check, key, fn) for check, (_, table) in TABLES.items() for key, fn in table.items()]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("check, key, fn", WRONG, ids=[f"{c.__name__}-{k}" for c, k, _ in WRONG])
def test_each_known_mistake_is_named(check, key, fn, hidden, capfd):
    sentences, _ = TABLES[check]
    with pytest.raises(AssertionError) as info:
        check(fn, hidden=hidden)
    message = flat(str(info.value))
    named_ids = set(MISTAKE_ID.findall(message))
    named = {k for k, m in sentences.items() if m.sentence in message}
    if key in MISCONCEPTIONS:
        assert named_ids == {key} and not named, message
    else:
        assert key in named and not named_ids, message
        assert named - {key} <= ALSO_ALLOWED.get((check, key, hidden), set()), message
    assert "expected" in message and "got" in message, message
    assert "Reread:" in message
    assert capfd.readouterr().err == ""


# ======================================================================== odd returns

def _returning(value):
    def fn(*args):
        return value(*args) if callable(value) else value
    return fn


def _raising(*args):
    return np.zeros(3)[5]


ODD = [
    (check_rnn_step_jacobian, _returning(None), "Did you forget `return`"),
    (check_rnn_step_jacobian, _raising, "raised IndexError"),
    (check_rnn_step_jacobian, _returning(lambda x_t, h, W, U, b: _rows(U, 1 - h**2)[0]),
     "one Jacobian per example"),
    (check_gradient_norms_by_lag, _returning(lambda *a: jacobians.gradient_norms_by_lag(*a)[:, 1:]),
     "lag 0 (|dh_last| itself)"),
    (check_gradient_norms_by_lag,
     _returning(lambda *a: np.linalg.norm(jacobians.gradient_norms_by_lag(*a), axis=0)),
     "one norm per lag for the whole batch"),
    (check_rnn_backward, _returning(lambda *a: tuple(simple_rnn.rnn_backward(*a).values())),
     "expected a dict with keys dx, dh0"),
    (check_rnn_backward,
     _returning(lambda *a: {k: v for k, v in simple_rnn.rnn_backward(*a).items() if k != "dh0"}),
     "no key(s) dh0"),
    (check_rnn_backward,
     _returning(lambda *a: {**simple_rnn.rnn_backward(*a),
                            "dkernel": simple_rnn.rnn_backward(*a)["dkernel"].T}),
     "transposed shape"),
    (check_rnn_backward,
     _returning(lambda dh, x, h0, W, U, b: {**simple_rnn.rnn_backward(dh, x, h0, W, U, b),
                                            "dbias": np.zeros((x.shape[0], U.shape[0]))}),
     "dbias still has a batch axis"),
    (check_clip_by_global_norm, _returning(lambda g, c: clipping.clip_by_global_norm(g, c)[0]),
     "expected a pair (clipped, global_norm)"),
    (check_clip_by_global_norm,
     _returning(lambda g, c: (np.concatenate([a.ravel() for a in g]), 1.0)),
     "must be a list of 2 arrays"),
    (check_clip_by_global_norm,
     _returning(lambda g, c: (clipping.clip_by_global_norm(g, c)[0], [1.0, 2.0])),
     "expected one number"),
]


@pytest.mark.parametrize("check, fn, fragment", ODD, ids=[f[2][:30] for f in ODD])
def test_odd_returns_get_plain_words(check, fn, fragment):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert fragment in flat(str(info.value))


@pytest.mark.parametrize("check", list(TABLES))
def test_stub_gets_a_friendly_message_without_checker_internals(check):
    def stub(*args):
        raise NotImplementedError()
    with pytest.raises(AssertionError) as info:
        check(stub, hidden=True)
    assert "is not implemented yet" in flat(str(info.value))
    # the traceback ends in the checker's entry point, not in its helpers
    assert info.traceback[-1].name == "wrapper"


def test_reassigning_numpy_functions_does_not_make_a_wrong_answer_pass(monkeypatch):
    for name in ("allclose", "isclose", "array_equal"):
        monkeypatch.setattr(np, name, lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    with pytest.raises(AssertionError):
        check_rnn_backward(BPTT_MISTAKES["no_carry"])
    with pytest.raises(AssertionError):
        check_clip_by_global_norm(CLIP_MISTAKES["each"], hidden=True)


# ======================================================================== probes

def _separations(expected, variants):
    out = []
    for key, value in variants:
        if isinstance(expected, dict):
            out.append((key, max(np.abs(np.asarray(value[k]) - expected[k]).max() for k in expected)))
        else:
            out.append((key, np.abs(np.asarray(value) - expected).max()))
    return out


def _all_probes():
    for hidden in (False, True):
        for args, case in G.jacobian_probes(hidden):
            yield case, jacobians.rnn_step_jacobian(*args), G._jacobian_variants(*args)
        for args, case in G.norms_probes(hidden):
            expected = jacobians.gradient_norms_by_lag(*args)
            assert expected.min() > 0.02, case  # an absolute tolerance stays meaningful
            yield case, expected, G._norms_variants(*args)
        for args, case in G.backward_probes(hidden):
            yield case, simple_rnn.rnn_backward(*args), G._bptt_variants(*args)


def test_every_probe_either_cannot_see_a_mistake_or_sees_it_clearly():
    """A variant equal to the answer on a probe is fine (e.g. transposes with one unit); one that
    differs must differ by far more than the tolerance, so diagnosis is never borderline."""
    for case, expected, variants in _all_probes():
        for key, gap in _separations(expected, variants):
            assert gap < 1e-12 or gap > 0.05, (case, key, gap)


def test_every_known_mistake_shows_on_some_hidden_probe():
    seen = set()
    for case, expected, variants in _all_probes():
        seen |= {key for key, gap in _separations(expected, variants) if gap > 0.05}
    for table in (G._JACOBIAN, G._NORMS, G._BPTT):
        assert set(table.values()) <= seen


def test_mistake_ids_and_sections_exist():
    """Hints send students to headings that exist in the lesson, and ids are COURSE.md's."""
    nb = json.loads(NOTEBOOK.read_text())
    headings = {line.lstrip("#").strip() for cell in nb["cells"] if cell["cell_type"] == "markdown"
                for line in "".join(cell["source"]).splitlines() if line.startswith("#")}
    assert set(G.SECTIONS.values()) <= headings
    assert set(G._FORWARD_MISTAKES) <= set(MISCONCEPTIONS)
