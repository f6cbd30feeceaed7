"""check_gradient_norms_by_lag (02_vanishing_gradients, Exercise 2) as a student meets it:
right answers in any style pass quietly with one line, each hand-written wrong answer is
named by its registered id, odd returns get plain words."""
import numpy as np
import pytest
from check_helpers import fails_with, passes_quietly

from course_utils import jacobians, simple_rnn
from course_utils.checks import check_gradient_norms_by_lag as check
from course_utils.checks import gradient_norms as checker
from course_utils.checks.misconceptions import ID_PATTERN


def forward(x, h0, W, U, b):
    """h_1 .. h_T, (batch, T, units)."""
    h, out = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ U + b)
        out.append(h)
    return np.stack(out, axis=1)


# ---------------------------------------------------------------- right answers

def norms_solution_style(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_seq = simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=-1)]
    for t in range(x.shape[1], 0, -1):
        g = (g * (1 - h_seq[:, t - 1] ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=-1))
    return np.stack(norms, axis=1)


def norms_via_jacobian_products(dh_last, x, h0, kernel, recurrent_kernel, bias):
    """Builds the products explicitly from step Jacobians and fills a preallocated array."""
    h_seq = forward(x, h0, kernel, recurrent_kernel, bias)
    batch, steps, units = h_seq.shape
    out = np.empty((batch, steps + 1))
    P = np.broadcast_to(np.eye(units), (batch, units, units)).copy()
    out[:, 0] = np.sqrt((dh_last**2).sum(1))
    for k in range(1, steps + 1):
        h = h_seq[:, steps - k]
        P = P @ ((1 - h**2)[:, :, None] * recurrent_kernel.T[None])
        out[:, k] = np.linalg.norm(np.einsum("bi,bij->bj", dh_last, P), axis=1)
    return out


def norms_float32_lists(*args):
    return jacobians.gradient_norms_by_lag(*(np.asarray(a, np.float32) for a in args)).tolist()


RIGHT = [jacobians.gradient_norms_by_lag, norms_solution_style, norms_via_jacobian_products,
         norms_float32_lists]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_right_answers_pass_quietly(fn, hidden, capsys):
    passes_quietly(check, fn, capsys, hidden)


# ---------------------------------------------------------------- wrong answers -> ids

def no_slope(dh_last, x, h0, kernel, recurrent_kernel, bias):
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for _ in range(x.shape[1]):
        g = g @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)


def slope_of_earlier_state(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h_prev = np.concatenate([h0[:, None], forward(x, h0, kernel, recurrent_kernel, bias)[:, :-1]], 1)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for t in reversed(range(x.shape[1])):
        g = (g * (1 - h_prev[:, t] ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)


def u_not_transposed(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h = forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for t in reversed(range(x.shape[1])):
        g = (g * (1 - h[:, t] ** 2)) @ recurrent_kernel
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)


def slope_after_product(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h = forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for t in reversed(range(x.shape[1])):
        g = (g @ recurrent_kernel.T) * (1 - h[:, t] ** 2)
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)


def time_order(*args):
    return norms_solution_style(*args)[:, ::-1]


def squared_norms(dh_last, x, h0, kernel, recurrent_kernel, bias):
    h = forward(x, h0, kernel, recurrent_kernel, bias)
    g, norms = dh_last, [(dh_last**2).sum(axis=1)]
    for t in reversed(range(x.shape[1])):
        g = (g * (1 - h[:, t] ** 2)) @ recurrent_kernel.T
        norms.append((g**2).sum(axis=1))
    return np.stack(norms, axis=1)


def state_not_carried(dh_last, x, h0, kernel, recurrent_kernel, bias):
    states = [np.tanh(x[:, t] @ kernel + h0 @ recurrent_kernel + bias) for t in range(x.shape[1])]
    g, norms = dh_last, [np.linalg.norm(dh_last, axis=1)]
    for h_t in reversed(states):
        g = (g * (1 - h_t**2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=1))
    return np.stack(norms, axis=1)


def forward_without_bias(dh_last, x, h0, kernel, recurrent_kernel, bias):
    return norms_solution_style(dh_last, x, h0, kernel, recurrent_kernel, np.zeros_like(bias))


WRONG = [
    (no_slope, "TANH-SLOPE-MISSING"),
    (slope_of_earlier_state, "TANH-SLOPE-WRONG-STATE"),
    (u_not_transposed, "RECURRENT-KERNEL-NOT-TRANSPOSED"),
    (slope_after_product, "NORMS-SLOPE-AFTER-PRODUCT"),
    (time_order, "NORMS-TIME-ORDER"),
    (squared_norms, "NORMS-SQUARED"),
    (state_not_carried, "STATE-NOT-CARRIED"),
    (forward_without_bias, "MISSING-BIAS"),
]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn, mid", WRONG, ids=[w[1] for w in WRONG])
def test_each_wrong_answer_is_named_by_its_id(fn, mid, hidden, capfd):
    message = fails_with(check, fn, f"[{mid}]", "gradient_norms_by_lag", "expected", "got",
                         "Reread: 02_vanishing_gradients", hidden=hidden)
    assert set(ID_PATTERN.findall(message)) == {mid}, message
    assert "GRU" not in message and "LSTM" not in message
    assert capfd.readouterr().err == ""


def test_forward_mistakes_speak_of_this_function():
    fails_with(check, state_not_carried, "The forward pass inside gradient_norms_by_lag fed "
               "every step h0", "(Reread: 02_vanishing_gradients, 'Products of Jacobians'.)")


# ---------------------------------------------------------------- odd returns

@pytest.mark.parametrize("fn, words", [
    (lambda *a: jacobians.gradient_norms_by_lag(*a)[:, 1:], "lag 0 (|dh_last| itself)"),
    (lambda *a: np.linalg.norm(jacobians.gradient_norms_by_lag(*a), axis=0),
     "one norm per lag for the whole batch"),
    (lambda *a: jacobians.gradient_norms_by_lag(*a).T, "batch first"),
    (lambda *a: None, "Did you forget `return`"),
])
def test_odd_returns_get_plain_words(fn, words):
    fails_with(check, fn, words)


def test_stub_is_not_implemented_yet():
    def stub(*args):
        raise NotImplementedError()
    fails_with(check, stub, "is not implemented yet", hidden=True)


# ---------------------------------------------------------------- probes

def test_every_probe_either_cannot_see_a_mistake_or_sees_it_clearly():
    for hidden in (False, True):
        for _args, context, expected, mistakes in checker.PROBES[hidden]:
            assert expected.min() > 0.02, context   # an absolute tolerance stays meaningful
            for mistake, output in mistakes:
                gap = np.abs(output - expected).max()
                assert gap < 1e-12 or gap > 0.05, (context, mistake.id, gap)


def test_every_known_mistake_shows_on_some_hidden_probe():
    seen = {m.id for *_, expected, mistakes in checker.PROBES[True]
            for m, output in mistakes if np.abs(output - expected).max() > 0.05}
    assert seen == {mid for _, mid in WRONG}
