"""check_rnn_backward (02_vanishing_gradients, Exercise 3) as a student meets it: right
answers in any style pass quietly with one line, each hand-written wrong answer is named by
its registered id, odd returns get plain words."""
import numpy as np
import pytest
from check_helpers import fails_with, passes_quietly

from course_utils import simple_rnn
from course_utils.checks import bptt as checker
from course_utils.checks import check_rnn_backward as check
from course_utils.checks.misconceptions import ID_PATTERN

# ---------------------------------------------------------------- right answers

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


def backward_float32_lists(*args):
    grads = simple_rnn.rnn_backward(*(np.asarray(a, np.float32) for a in args))
    return {k: v.tolist() for k, v in grads.items()}


def student(*, carry=True, slope="own", accumulate=True, every_output=True, dh0_at_x0=False,
            transpose=True, mean=False, forward_bias=True, forward_carry=True):
    """A student's BPTT written out plainly; each keyword is one slip (defaults: right)."""
    def rnn_backward(dh_seq, x, h0, kernel, recurrent_kernel, bias):
        batch, steps, _ = x.shape
        h = [h0]
        for t in range(steps):
            h_in = h[-1] if forward_carry else h0
            h.append(np.tanh(x[:, t] @ kernel + h_in @ recurrent_kernel
                             + (bias if forward_bias else 0)))
        dx = np.zeros(x.shape)
        dW, dU, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
        back = np.zeros(h0.shape)
        for t in range(steps - 1, -1, -1):
            dh = (dh_seq[:, t] if every_output or t == steps - 1 else 0) + (back if carry else 0)
            da = dh * (1 - (h[t + 1] if slope == "own" else h[t]) ** 2) if slope else dh
            dx[:, t] = da @ kernel.T
            if accumulate:
                dW, dU, db = dW + x[:, t].T @ da, dU + h[t].T @ da, db + da.sum(axis=0)
            else:
                dW, dU, db = x[:, t].T @ da, h[t].T @ da, da.sum(axis=0)
            back = da @ (recurrent_kernel.T if transpose else recurrent_kernel)
            if dh0_at_x0 and t == 0:
                back = dh
        if mean:
            dW, dU, db = dW / batch, dU / batch, db / batch
        return {"dx": dx, "dh0": back, "dkernel": dW, "drecurrent_kernel": dU, "dbias": db}
    return rnn_backward


RIGHT = [simple_rnn.rnn_backward, backward_per_example_einsum, backward_float32_lists, student()]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn", RIGHT, ids=["reference", "einsum", "float32", "plain"])
def test_right_answers_pass_quietly(fn, hidden, capsys):
    passes_quietly(check, fn, capsys, hidden)


# ---------------------------------------------------------------- wrong answers -> ids

WRONG = [
    (student(carry=False), "BPTT-NO-CARRY"),
    (student(slope=None), "TANH-SLOPE-MISSING"),
    (student(slope="received"), "TANH-SLOPE-WRONG-STATE"),
    (student(accumulate=False), "BPTT-GRADS-OVERWRITTEN"),
    (student(every_output=False), "BPTT-LAST-OUTPUT-ONLY"),
    (student(dh0_at_x0=True), "BPTT-DH0-ONE-STEP-SHORT"),
    (student(transpose=False), "RECURRENT-KERNEL-NOT-TRANSPOSED"),
    (student(mean=True), "GRADIENTS-BATCH-MEAN"),
    (student(forward_carry=False), "STATE-NOT-CARRIED"),
    (student(forward_bias=False), "MISSING-BIAS"),
]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn, mid", WRONG, ids=[w[1] for w in WRONG])
def test_each_wrong_answer_is_named_by_its_id(fn, mid, hidden, capfd):
    message = fails_with(check, fn, f"[{mid}]", "returned by rnn_backward", "expected", "got",
                         "Reread: 02_vanishing_gradients", hidden=hidden)
    assert set(ID_PATTERN.findall(message)) == {mid}, message
    assert "GRU" not in message and "LSTM" not in message
    assert capfd.readouterr().err == ""


def test_two_mistakes_at_once_are_both_named():
    """Two slips that change different gradients (dh0; the weight gradients)."""
    message = fails_with(check, student(dh0_at_x0=True, mean=True))
    assert set(ID_PATTERN.findall(message)) == {"BPTT-DH0-ONE-STEP-SHORT", "GRADIENTS-BATCH-MEAN"}


def test_the_visible_check_compares_with_finite_differences():
    fails_with(check, student(carry=False), "dx returned by rnn_backward (compared with the "
               "finite-difference gradient) for batch=2, T=3")


# ---------------------------------------------------------------- odd returns

def _with(change):
    return lambda *a: change(simple_rnn.rnn_backward(*a), *a)


@pytest.mark.parametrize("fn, words", [
    (_with(lambda g, *a: tuple(g.values())), "expected a dict with keys dx, dh0"),
    (_with(lambda g, *a: {k: v for k, v in g.items() if k != "dh0"}), "no key(s) dh0"),
    (_with(lambda g, *a: {**g, "dkernel": g["dkernel"].T}), "transposed shape"),
    (_with(lambda g, dh, x, h0, W, U, b: {**g, "dbias": np.zeros((x.shape[0], U.shape[0]))}),
     "dbias still has a batch axis"),
    (_with(lambda g, *a: {**g, "dx": g["dx"][:, 0]}), "one gradient per step"),
    (lambda *a: None, "Did you forget `return`"),
])
def test_odd_returns_get_plain_words(fn, words):
    fails_with(check, fn, words, hidden=True)


def test_stub_is_not_implemented_yet():
    def stub(*args):
        raise NotImplementedError()
    fails_with(check, stub, "is not implemented yet")


def test_reassigning_numpy_functions_does_not_make_a_wrong_answer_pass(monkeypatch):
    for name in ("allclose", "isclose", "array_equal"):
        monkeypatch.setattr(np, name, lambda *a, **k: True)
    fails_with(check, student(carry=False), "[BPTT-NO-CARRY]")


# ---------------------------------------------------------------- probes

def _gap(grads, expected):
    return max(np.abs(np.asarray(grads[k]) - expected[k]).max() for k in expected)


def test_every_probe_either_cannot_see_a_mistake_or_sees_it_clearly():
    for hidden in (False, True):
        for probe in checker.PROBES[hidden]:
            for mistake, grads, _ in probe["mistakes"]:
                gap = _gap(grads, probe["expected"])
                assert gap < 1e-6 or gap > 0.05, (probe["context"], mistake.id, gap)


def test_every_known_mistake_shows_on_some_hidden_probe():
    seen = {m.id for probe in checker.PROBES[True] for m, grads, _ in probe["mistakes"]
            if _gap(grads, probe["expected"]) > 0.05}
    assert seen == {mid for _, mid in WRONG}
