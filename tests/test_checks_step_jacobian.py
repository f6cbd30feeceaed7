"""check_rnn_step_jacobian (02_vanishing_gradients, Exercise 1) as a student meets it: right
answers in any style pass quietly with one line, each hand-written wrong answer is named by
its registered id, odd returns get plain words."""
import numpy as np
import pytest
from check_helpers import fails_with, passes_quietly

from course_utils import jacobians
from course_utils.checks import check_rnn_step_jacobian as check
from course_utils.checks import step_jacobian as checker
from course_utils.checks.misconceptions import ID_PATTERN

# ---------------------------------------------------------------- right answers

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


def jac_einsum(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(np.einsum("bi,iu->bu", x_t, kernel) + h_prev @ recurrent_kernel + bias)
    return np.einsum("bi,ji->bij", 1 - h * h, recurrent_kernel)


RIGHT = [jacobians.rnn_step_jacobian, jac_loops, jac_diag_float32, jac_einsum]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_right_answers_pass_quietly(fn, hidden, capsys):
    passes_quietly(check, fn, capsys, hidden)


# ---------------------------------------------------------------- wrong answers -> ids

def no_slope(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.array([recurrent_kernel.T for _ in range(len(x_t))])


def slope_at_h_prev(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.array([np.diag(1 - hp**2) @ recurrent_kernel.T for hp in h_prev])


def slope_of_preactivation(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return np.array([np.diag(1 - row**2) @ recurrent_kernel.T for row in a])


def transposed(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return np.array([(np.diag(1 - row**2) @ recurrent_kernel.T).T for row in h])


def slope_on_columns(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return np.array([recurrent_kernel.T @ np.diag(1 - row**2) for row in h])


def u_not_transposed(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return np.array([np.diag(1 - row**2) @ recurrent_kernel for row in h])


def forward_without_bias(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
    return np.array([np.diag(1 - row**2) @ recurrent_kernel.T for row in h])


def forward_transposed_u(x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
    return np.array([np.diag(1 - row**2) @ recurrent_kernel.T for row in h])


# (wrong answer, id on the hidden cases, ids allowed on the visible ones). On the readable
# visible case the slope is 1, so a transposed J and U without transpose look the same.
WRONG = [
    (no_slope, "TANH-SLOPE-MISSING", None),
    (slope_at_h_prev, "TANH-SLOPE-WRONG-STATE", None),
    (slope_of_preactivation, "TANH-SLOPE-OF-PREACTIVATION", None),
    (transposed, "JACOBIAN-TRANSPOSED", {"JACOBIAN-TRANSPOSED", "RECURRENT-KERNEL-NOT-TRANSPOSED"}),
    (slope_on_columns, "JACOBIAN-SLOPE-ON-COLUMNS", None),
    (u_not_transposed, "RECURRENT-KERNEL-NOT-TRANSPOSED",
     {"JACOBIAN-TRANSPOSED", "RECURRENT-KERNEL-NOT-TRANSPOSED"}),
    (forward_without_bias, "MISSING-BIAS", None),
    (forward_transposed_u, "TRANSPOSED-WEIGHTS", None),
]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn, mid, visible_ids", WRONG, ids=[w[1] for w in WRONG])
def test_each_wrong_answer_is_named_by_its_id(fn, mid, visible_ids, hidden, capfd):
    message = fails_with(check, fn, f"[{mid}]", "rnn_step_jacobian", "Reread: 02_vanishing_gradients",
                         hidden=hidden)
    named = set(ID_PATTERN.findall(message))
    assert named == {mid} if hidden or visible_ids is None else named <= visible_ids, message
    assert "expected" in message and "got" in message
    assert "GRU" not in message and "LSTM" not in message
    assert capfd.readouterr().err == ""


def test_the_slope_words_are_the_jacobians():
    message = fails_with(check, no_slope, "[TANH-SLOPE-MISSING] The tanh derivative is missing: "
                         "the answer equals recurrent_kernel.T for every example")
    assert "(Reread: 02_vanishing_gradients, 'The step Jacobian'.)" in message


# ---------------------------------------------------------------- odd returns

@pytest.mark.parametrize("fn, words", [
    (lambda *a: None, "Did you forget `return`"),
    (lambda *a: np.zeros(3)[5], "raised IndexError"),
    (lambda x_t, h, W, U, b: U.T, "one Jacobian per example"),
    (lambda x_t, h, W, U, b: np.tanh(x_t @ W + h @ U + b), "maybe the slope or h_next"),
])
def test_odd_returns_get_plain_words(fn, words):
    fails_with(check, fn, words)


def test_stub_is_not_implemented_yet():
    def stub(*args):
        raise NotImplementedError()
    fails_with(check, stub, "is not implemented yet", hidden=True)


def test_reassigning_numpy_functions_does_not_make_a_wrong_answer_pass(monkeypatch):
    def cheat(*args):
        np.abs = np.tanh = lambda v: 0 * v
        return no_slope(*args)
    for name in ("allclose", "isclose", "array_equal", "abs", "tanh"):
        monkeypatch.setattr(np, name, getattr(np, name))  # restored afterwards
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    with pytest.raises(AssertionError):
        check(cheat)


# ---------------------------------------------------------------- probes

def test_every_probe_either_cannot_see_a_mistake_or_sees_it_clearly():
    for hidden in (False, True):
        for _args, context, expected, mistakes in checker.PROBES[hidden]:
            for mistake, output in mistakes:
                gap = np.abs(output - expected).max()
                assert gap < 1e-12 or gap > 0.05, (context, mistake.id, gap)


def test_every_known_mistake_shows_on_some_hidden_probe():
    seen = {m.id for *_, expected, mistakes in checker.PROBES[True]
            for m, output in mistakes if np.abs(output - expected).max() > 0.05}
    assert seen == {mid for _, mid, _ in WRONG}
