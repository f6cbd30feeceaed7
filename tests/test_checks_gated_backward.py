"""check_lstm_cell_backward as a student meets it: every correct style passes quietly, every
hand-written wrong answer is named by its registered id (misconceptions.py), and odd returns
get plain words."""
import itertools

import numpy as np
import pytest
from check_helpers import fails_with, flat, flex

from course_utils.checks import check_lstm_cell_backward
from course_utils.checks import gated_backward as checker
from course_utils.checks.misconceptions import ID_PATTERN
from course_utils.gated_backward import GRADIENT_KEYS, lstm_cell_backward


def run(fn, hidden):
    check_lstm_cell_backward(fn, hidden=hidden)


# ---------------------------------------------------------------- correct answers in many styles

def loop_style(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Example by example, unit by unit, with the naive sigmoid (overflows on saturated gates)."""
    batch, units = h_prev.shape
    grads = {"dx_t": np.zeros_like(x_t), "dh_prev": np.zeros_like(h_prev),
             "dc_prev": np.zeros_like(c_prev), "dkernel": np.zeros_like(kernel),
             "drecurrent_kernel": np.zeros_like(recurrent_kernel), "dbias": np.zeros_like(bias)}
    for n in range(batch):
        a = x_t[n] @ kernel + h_prev[n] @ recurrent_kernel + bias
        for j in range(units):
            ai, af, ac, ao = (a[g * units + j] for g in range(4))
            i, f, o = (1 / (1 + np.exp(-v)) for v in (ai, af, ao))
            ct = np.tanh(ac)
            c = f * c_prev[n, j] + i * ct
            dc = dc_next[n, j] + dh_next[n, j] * o * (1 - np.tanh(c) ** 2)
            grads["dc_prev"][n, j] = dc * f
            da = {0: dc * ct * i * (1 - i), 1: dc * c_prev[n, j] * f * (1 - f),
                  2: dc * i * (1 - ct ** 2), 3: dh_next[n, j] * np.tanh(c) * o * (1 - o)}
            for g, value in da.items():
                col = g * units + j
                grads["dbias"][col] += value
                grads["dkernel"][:, col] += x_t[n] * value
                grads["drecurrent_kernel"][:, col] += h_prev[n] * value
                grads["dx_t"][n] += kernel[:, col] * value
                grads["dh_prev"][n] += recurrent_kernel[:, col] * value
    return grads


def split_weights_style(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """Four weight blocks handled separately, einsum, float64 arithmetic, outputs concatenated."""
    x_t, h_prev, c_prev, dh_next, dc_next = (np.asarray(v, np.float64) for v in
                                             (x_t, h_prev, c_prev, dh_next, dc_next))
    Ws = np.split(np.asarray(kernel, np.float64), 4, axis=1)
    Us = np.split(np.asarray(recurrent_kernel, np.float64), 4, axis=1)
    bs = np.split(np.asarray(bias, np.float64), 4)
    a = [np.einsum("bi,iu->bu", x_t, W) + np.einsum("bj,ju->bu", h_prev, U) + b
         for W, U, b in zip(Ws, Us, bs)]
    i, f, o = (0.5 * (1 + np.tanh(v / 2)) for v in (a[0], a[1], a[3]))  # sigmoid via tanh
    ct = np.tanh(a[2])
    c_next = f * c_prev + i * ct
    tc = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tc * tc)
    das = [dc * ct * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - ct * ct),
           dh_next * tc * o * (1 - o)]
    return {"dx_t": sum(d @ W.T for d, W in zip(das, Ws)),
            "dh_prev": sum(d @ U.T for d, U in zip(das, Us)),
            "dc_prev": dc * f,
            "dkernel": np.concatenate([x_t.T @ d for d in das], axis=1),
            "drecurrent_kernel": np.concatenate([h_prev.T @ d for d in das], axis=1),
            "dbias": np.concatenate([d.sum(axis=0) for d in das])}


def float32_style(*args):
    """The reference run in float32 whatever comes in, returned as lists (array-likes)."""
    grads = lstm_cell_backward(*(np.asarray(a, np.float32) for a in args))
    return {k: v.tolist() for k, v in grads.items()}


CORRECT = {"reference": lstm_cell_backward,
           "loops + naive sigmoid": loop_style, "split weights + einsum": split_weights_style,
           "float32 + lists": float32_style}


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("name", list(CORRECT))
def test_correct_answers_pass_with_one_line_and_no_stderr(capfd, name, hidden):
    run(CORRECT[name], hidden)
    out, err = capfd.readouterr()
    assert err == ""
    assert len(out.strip().splitlines()) == 1 and out.startswith("\u2714 lstm_cell_backward")


def test_success_lines_say_what_was_verified(capsys):
    run(lstm_cell_backward, False)
    assert "finite differences" in capsys.readouterr().out
    run(lstm_cell_backward, True)
    assert "reference on 6 random cases" in capsys.readouterr().out


# ---------------------------------------------------------------- known mistakes

def _sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))


def student(*, order=(0, 1, 2, 3), concat=(0, 1, 2, 3), gate=_sigmoid, candidate=np.tanh,
            squash=np.tanh, squash_slope=lambda s: 1 - s**2, bias_on=True, dc_next_on=True,
            through_h=True, gate_slope=lambda g: g * (1 - g), forget_slope=None,
            candidate_slope=lambda c: 1 - c**2, forget_reads_next=False,
            dc_prev_from_dc_next=False, dc_prev_times_f=True, kernels_swapped=False,
            weight_grads_swapped=False, mean=False):
    """A student's LSTM step backward written out plainly; each keyword is one slip (the
    defaults give the right answer). ``order``: which Keras block the student reads as
    i, f, c~, o; ``concat``: where each of da_i, da_f, da_c, da_o goes."""
    def lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        a = x_t @ kernel + h_prev @ recurrent_kernel + (bias if bias_on else 0)
        blocks = np.split(a, 4, axis=1)
        a_i, a_f, a_c, a_o = (blocks[n] for n in order)
        i, f, o = gate(a_i), gate(a_f), gate(a_o)
        c_tilde = candidate(a_c)
        c_next = f * c_prev + i * c_tilde
        s = squash(c_next)
        dc = (dc_next if dc_next_on else 0) + (dh_next * o * squash_slope(s) if through_h else 0)
        da_i = dc * c_tilde * gate_slope(i)
        da_f = dc * (c_next if forget_reads_next else c_prev) * (forget_slope or gate_slope)(f)
        da_c = dc * i * candidate_slope(c_tilde)
        da_o = dh_next * s * gate_slope(o)
        parts = [None] * 4
        for n, d in zip(concat, (da_i, da_f, da_c, da_o)):
            parts[n] = d
        da = np.concatenate(parts, axis=1)
        W, U = (recurrent_kernel, kernel) if kernels_swapped else (kernel, recurrent_kernel)
        dW, dU, db = x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
        if weight_grads_swapped:
            dW, dU = dU, dW
        if mean:
            dW, dU, db = dW / len(x_t), dU / len(x_t), db / len(x_t)
        dc_prev = (dc_next if dc_prev_from_dc_next else dc) * (f if dc_prev_times_f else 1)
        return {"dx_t": da @ W.T, "dh_prev": da @ U.T, "dc_prev": dc_prev, "dkernel": dW,
                "drecurrent_kernel": dU, "dbias": db}
    return lstm_cell_backward


# (slips, id). Swapped kernels and swapped weight gradients have the wrong shapes on the
# hidden cases where input_dim != units: there the message is about the shape.
WRONG = [
    (dict(order=(0, 1, 3, 2), concat=(0, 1, 3, 2)), "LSTM-GATE-ORDER"),
    (dict(order=(1, 0, 2, 3), concat=(1, 0, 2, 3)), "LSTM-GATE-ORDER"),
    (dict(concat=(0, 1, 3, 2)), "LSTM-GATE-ORDER"),
    (dict(squash=lambda c: c, squash_slope=lambda s: 1), "LSTM-OUTPUT-NO-TANH"),
    (dict(bias_on=False), "MISSING-BIAS"),
    (dict(gate=np.tanh, gate_slope=lambda g: 1 - g**2), "WRONG-ACTIVATION"),
    (dict(candidate=_sigmoid, candidate_slope=lambda c: c * (1 - c)), "WRONG-ACTIVATION"),
    (dict(dc_next_on=False), "LSTM-BACKWARD-NO-DC-NEXT"),
    (dict(through_h=False), "LSTM-BACKWARD-NO-ROUTE-THROUGH-H"),
    (dict(squash_slope=lambda s: 1), "TANH-SLOPE-MISSING"),
    (dict(gate_slope=lambda g: g), "GATE-VALUE-AS-DERIVATIVE"),
    (dict(forget_slope=lambda f: f), "GATE-VALUE-AS-DERIVATIVE"),
    (dict(candidate_slope=lambda c: c * (1 - c)), "ACTIVATION-SLOPE-SWAPPED"),
    (dict(gate_slope=lambda g: 1 - g**2), "ACTIVATION-SLOPE-SWAPPED"),
    (dict(forget_reads_next=True), "LSTM-FORGET-GRAD-READS-C-NEXT"),
    (dict(dc_prev_from_dc_next=True), "LSTM-DC-PREV-MISSES-H-ROUTE"),
    (dict(dc_prev_times_f=False), "LSTM-DC-PREV-NO-F"),
    (dict(kernels_swapped=True), "BACKWARD-KERNELS-SWAPPED"),
    (dict(weight_grads_swapped=True), "WEIGHT-GRADS-SWAPPED"),
    (dict(mean=True), "GRADIENTS-BATCH-MEAN"),
]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("slips, mid", WRONG, ids=[f"{m}-{'-'.join(s)}" for s, m in WRONG])
def test_every_known_mistake_fails_and_is_named(slips, mid, hidden, capfd):
    with pytest.raises(AssertionError) as info:
        run(student(**slips), hidden)
    message = flat(str(info.value))
    assert capfd.readouterr().err == ""
    if "expected shape" in message:   # kernels swapped when input_dim != units
        assert hidden and "should be shaped like" in message
        return
    assert set(ID_PATTERN.findall(message)) == {mid}, message
    assert "Right:" in message and "Wrong:" in message and "Reread:" in message


def test_right_student_passes(capsys):
    run(student(), False)
    run(student(), True)
    assert capsys.readouterr().out.count("\u2714") == 2


def test_the_variants_are_told_apart_on_the_visible_case():
    probe = checker._PROBES[False][0]
    outputs = [grads for _, grads, _ in probe["mistakes"]]
    assert len(outputs) == len(checker.VARIANTS)      # every variant is wrong on this case
    for a, b in itertools.combinations(outputs, 2):
        assert any(not np.allclose(a[k], b[k], atol=1e-3) for k in GRADIENT_KEYS)


def test_mistakes_named_in_the_brief_have_their_words():
    fails_with(check_lstm_cell_backward, student(through_h=False),
               "[LSTM-BACKWARD-NO-ROUTE-THROUGH-H] The gradient through tanh(c_next) is missing")
    fails_with(check_lstm_cell_backward, student(dc_next_on=False),
               "[LSTM-BACKWARD-NO-DC-NEXT] dc_next was left out")
    fails_with(check_lstm_cell_backward, student(forget_slope=lambda f: f),
               "[GATE-VALUE-AS-DERIVATIVE] f was used instead of the forget gate's derivative")


def test_message_names_the_output_the_index_and_the_error():
    with pytest.raises(AssertionError) as info:
        run(student(dc_prev_times_f=False), False)
    message = flat(str(info.value))
    assert message.startswith("dc_prev returned by lstm_cell_backward (compared with finite "
                              "differences) for the visible case")
    assert "Largest difference at index" in message and "abs error" in message
    assert "Only dc_prev is wrong" in message
    assert "(Reread: 05_gradient_flow, 'Backward through one LSTM step'.)" in message


# ---------------------------------------------------------------- odd returns and tampering

def test_stub_gets_a_friendly_message():
    def stub(*args):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match=flex("not implemented yet")):
        run(stub, False)


def test_a_crash_names_the_error_not_the_checker():
    def crash(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        return {"dx_t": kernel @ x_t}   # (2, 8) @ (2, 2): the shapes do not fit
    with pytest.raises(AssertionError) as info:
        run(crash, False)
    assert "raised ValueError" in flat(str(info.value)) and "line" in flat(str(info.value))
    assert "This happened for the visible case (batch=2" in flat(str(info.value))
    tb = info.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_name == "wrapper"   # re-raised by the checker, no chain below
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("result,words", [
    (None, "Did you forget `return`?"),
    (tuple(range(6)), "got a tuple of 6 values"),
    ({"dx": 0}, "is missing 'dx_t'"),
])
def test_odd_returns_are_explained(result, words):
    fails_with(check_lstm_cell_backward, lambda *args: result, words)


def test_writing_into_the_inputs_is_modifies_inputs():
    def mutating(dh_next, dc_next, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        grads = lstm_cell_backward(dh_next, dc_next, x_t, h_prev, c_prev, kernel,
                                   recurrent_kernel, bias)
        c_prev *= 0
        return grads
    fails_with(check_lstm_cell_backward, mutating, "[MODIFIES-INPUTS] lstm_cell_backward writes "
               "into c_prev")


@pytest.mark.parametrize("change,words", [
    (lambda g: {**g, "dbias": np.ones((2, 8)) * g["dbias"]}, "sum da over the batch"),
    (lambda g: {**g, "dkernel": g["dkernel"].T}, "transposed shape"),
    (lambda g: {**g, "dbias": g["dbias"][None]}, "keepdims"),
])
def test_shape_mistakes_get_hints(change, words):
    with pytest.raises(AssertionError) as info:
        run(lambda *args: change(lstm_cell_backward(*args)), False)
    assert words in flat(info.value)


def test_reassigning_numpy_functions_does_not_make_a_wrong_answer_pass():
    saved = {name: getattr(np, name) for name in ("allclose", "abs", "tanh", "isclose")}
    wrong = student(dc_next_on=False)

    def cheat(*args):
        grads = wrong(*args)
        np.allclose = np.isclose = lambda *a, **k: True
        np.abs = np.tanh = lambda v: 0 * v
        return grads
    try:
        with pytest.raises(AssertionError, match=flex("dc_next was left out")):
            run(cheat, False)
    finally:
        for name, fn in saved.items():
            setattr(np, name, fn)
