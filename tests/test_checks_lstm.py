"""check_lstm_cell_forward / check_lstm_forward: right answers pass quietly,
each known mistake is named by exactly its id (judged on BOTH outputs, h and
c), and the probes tell the mistakes apart, all 23 wrong gate orders included.
"""
import re

import numpy as np
import pytest
import student_variants as sv
from check_helpers import fails_with, flat
from student_variants import MISTAKE_ID, assert_probes_tell_mistakes_apart

from course_utils import lstm
from course_utils.checks import check_lstm_cell_forward, check_lstm_forward, variants
from course_utils.checks import lstm as lstm_checks

CHECKERS = {"lstm_cell_forward": check_lstm_cell_forward, "lstm_forward": check_lstm_forward}
PROBES = {"lstm_cell_forward": lstm_checks._STEP_PROBES,
          "lstm_forward": lstm_checks._SEQUENCE_PROBES}
APPLICABLE = {
    "lstm_cell_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION",
                          "LSTM-GATE-ORDER", "LSTM-OUTPUT-NO-TANH", "MODIFIES-INPUTS",
                          "LSTM-OUTPUTS-SWAPPED"},
    "lstm_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION", "LSTM-GATE-ORDER",
                     "LSTM-OUTPUT-NO-TANH", "STATE-NOT-CARRIED", "RETURNS-LAST-ONLY",
                     "LSTM-CELL-NOT-CARRIED", "MODIFIES-INPUTS"},
}
MODES = pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])


def _answers(table):
    return [pytest.param(name, label, id=f"{name}-{label}")
            for name in CHECKERS for label in table[name]]


@MODES
@pytest.mark.parametrize("name, label", _answers(sv.CORRECT))
def test_right_answer_passes_with_one_line_and_no_stderr(name, label, hidden, capfd):
    if "scipy" in sv.CORRECT[name][label]:
        pytest.importorskip("scipy")
    CHECKERS[name](sv.load(sv.CORRECT[name][label], name), hidden=hidden)
    out, err = capfd.readouterr()
    assert err == ""
    assert out.startswith("\u2714") and out.count("\n") == 1
    assert not MISTAKE_ID.search(out)


@MODES
@pytest.mark.parametrize("name, label", _answers(sv.WRONG))
def test_wrong_answer_is_named_by_exactly_its_id(name, label, hidden, capfd):
    expected_id, source = sv.WRONG[name][label]
    with pytest.raises(AssertionError) as info:
        CHECKERS[name](sv.load(source, name), hidden=hidden)
    message = flat(str(info.value))
    assert MISTAKE_ID.findall(message) == ([expected_id] if expected_id else [])
    assert f"{'hidden' if hidden else 'visible'} case 1 (" in message
    if expected_id:
        if expected_id == "MODIFIES-INPUTS":      # right values, but the caller's arrays change
            assert "in place" in message
        else:
            assert re.search(r"expected|should have shape", message) and "got" in message
        assert "Reread:" in message
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", CHECKERS)
def test_every_applicable_mistake_has_a_wrong_answer(name):
    assert {mid for mid, _ in sv.WRONG[name].values() if mid} == APPLICABLE[name]


def test_swapped_outputs_get_a_hint():
    source = sv.WRONG["lstm_cell_forward"]["outputs_swapped"][1]
    with pytest.raises(AssertionError) as info:
        check_lstm_cell_forward(sv.load(source, "lstm_cell_forward"))
    assert "[LSTM-OUTPUTS-SWAPPED] The two outputs came back swapped" in flat(str(info.value))


def test_a_single_returned_array_is_explained():
    source = sv.WRONG["lstm_cell_forward"]["returns_h_only"][1]
    with pytest.raises(AssertionError) as info:
        check_lstm_cell_forward(sv.load(source, "lstm_cell_forward"))
    assert "should return 2 arrays, (h_next, c_next)" in flat(str(info.value))
    assert "it returned one array of shape (2, 3)" in flat(str(info.value))


@pytest.mark.parametrize("order", ["ifoc", "fico", "cifo", "oicf"])
def test_any_wrong_gate_order_is_named(order):
    def student(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        a = x_t @ kernel + h_prev @ recurrent_kernel + bias
        gates = dict(zip(order, np.split(a, 4, axis=1)))
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        c = sig(gates["f"]) * c_prev + sig(gates["i"]) * np.tanh(gates["c"])
        return sig(gates["o"]) * np.tanh(c), c

    with pytest.raises(AssertionError) as info:
        check_lstm_cell_forward(student, hidden=True)
    assert MISTAKE_ID.findall(flat(str(info.value))) == ["LSTM-GATE-ORDER"]


# ---------------------------------------------------------------- the variants and the probes

def test_variants_right_configuration_equals_the_reference(rng):
    x = rng.normal(size=(3, 4, 2))
    h0, c0 = rng.uniform(-1, 1, size=(3, 5)), rng.normal(size=(3, 5))
    weights = [rng.normal(size=s) for s in ((2, 20), (5, 20), (20,))]
    for got, want in zip(variants.lstm_step(x[:, 0], h0, c0, *weights),
                         lstm.lstm_cell_forward(x[:, 0], h0, c0, *weights)):
        np.testing.assert_allclose(got, want, atol=1e-12)
    for got, want in zip(variants.unroll_lstm(variants.lstm_step)(x, h0, c0, *weights),
                         lstm.lstm_forward(x, h0, c0, *weights)):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_all_23_wrong_gate_orders_are_variants():
    orders = [v for v in variants.LSTM_CELL_VARIANTS
              if isinstance(v, variants.Variant) and v.id == "LSTM-GATE-ORDER"]
    assert len(orders) == 23 and len({v.hint for v in orders}) == 23


@pytest.mark.parametrize("mode", ["visible", "hidden"])
@pytest.mark.parametrize("name", CHECKERS)
def test_probes_tell_the_known_mistakes_apart(name, mode):
    assert_probes_tell_mistakes_apart(PROBES[name][mode])


@pytest.mark.parametrize("name", CHECKERS)
def test_first_probe_is_square_with_a_cell_state_beyond_one(name):
    for probes in PROBES[name].values():
        first = probes[0]
        assert first.sizes["input_dim"] == first.sizes["units"]
        c0 = first.args[2]
        assert np.abs(c0).max() > 1   # so that o * c and o * tanh(c) differ clearly


# ---------------------------------------------------------------- localised and combined mistakes
# Hand-written wrong cells: (label, source, ids named, words the message must hold).

_LSTM_PARTS = '''
import numpy as np

def sig(a):
    return 1 / (1 + np.exp(-a))

def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    u = h_prev.shape[1]
    W = [kernel[:, k*u:(k+1)*u] for k in range(4)]
    U = [recurrent_kernel[:, k*u:(k+1)*u] for k in range(4)]
    b = [bias[k*u:(k+1)*u] for k in range(4)]
    {change}
    i = sig(x_t @ W[0] + h_prev @ U[0] + b[0])
    f = {act_f}(x_t @ W[1] + h_prev @ U[1] + b[1])
    c_tilde = np.tanh(x_t @ W[2] + h_prev @ U[2] + b[2])
    o = sig(x_t @ W[3] + h_prev @ U[3] + b[3])
    c_next = {c_next}
    return o * np.tanh(c_next), c_next
'''


def _lstm_cell(change="pass", act_f="sig", c_next="f * c_prev + i * c_tilde"):
    return _LSTM_PARTS.format(change=change, act_f=act_f, c_next=c_next)


LOCALISED = [
    ("forget gate left out", _lstm_cell(c_next="c_prev + i * c_tilde"), ["LSTM-FORGET-IGNORED"],
     ["c = f * c_prev + i * c~"]),
    ("tanh for f only", _lstm_cell(act_f="np.tanh"), ["WRONG-ACTIVATION"],
     ["tanh instead of sigmoid for the forget gate f", "04_lstm, 'The input gate and the candidate'"]),
    ("output gate bias left out", _lstm_cell("b[3] = 0 * b[3]"), ["MISSING-BIAS"],
     ["the output gate o block (columns 3*units:4*units) of bias left out"]),
    ("only U_f transposed", _lstm_cell("U[1] = U[1].T"), ["TRANSPOSED-WEIGHTS"],
     ["the forget gate f block (columns units:2*units) of recurrent_kernel transposed"]),
    ("no bias and no forget gate", _lstm_cell("b = [0, 0, 0, 0]", c_next="c_prev + i * c_tilde"),
     ["MISSING-BIAS", "LSTM-FORGET-IGNORED"],
     ["the bias left out together with c = c_prev + i * c~ (no forget gate)"]),
    ("i reads the f block of kernel (no known mistake)", _lstm_cell("W[0] = W[1]"), [],
     ["Where:", "the input gate i block (columns 0:units) of kernel"]),
]


@pytest.mark.parametrize("label, source, ids, fragments", LOCALISED,
                         ids=[row[0] for row in LOCALISED])
def test_a_wrong_part_is_localised_and_named(label, source, ids, fragments):
    message = fails_with(check_lstm_cell_forward, sv.load(source, "lstm_cell_forward"), *fragments)
    assert MISTAKE_ID.findall(message) == ids


def test_a_loop_that_starts_from_zeros_is_told_so():
    source = _lstm_cell() + '''

def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    h, c, hs, cs = np.zeros_like(h0), np.zeros_like(c0), [], []
    for t in range(x.shape[1]):
        h, c = lstm_cell_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)
'''
    message = fails_with(check_lstm_forward, sv.load(source, "lstm_forward"),
                         "started from zeros instead of h0 and c0")
    assert MISTAKE_ID.findall(message) == ["SEQUENCE-IGNORES-H0"]
