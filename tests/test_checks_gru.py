"""check_gru_cell_forward / check_gru_forward, for reset_after=True AND False:
right answers pass quietly, each known mistake is named by exactly its id, a
function that ignores reset_after is told which formulation failed, and the
probes tell the mistakes apart.
"""
import re

import numpy as np
import pytest
import student_variants as sv
from check_helpers import fails_with, flat, passes_quietly
from student_variants import MISTAKE_ID, assert_probes_tell_mistakes_apart

from course_utils import gru
from course_utils.checks import check_gru_cell_forward, check_gru_forward, variants
from course_utils.checks import gru as gru_checks

CHECKERS = {"gru_cell_forward": check_gru_cell_forward, "gru_forward": check_gru_forward}
PROBES = {"gru_cell_forward": gru_checks._STEP_PROBES, "gru_forward": gru_checks._SEQUENCE_PROBES}
APPLICABLE = {
    "gru_cell_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION",
                         "GRU-UPDATE-INVERTED", "GRU-RESET-PLACEMENT", "GRU-GATE-ORDER"},
    "gru_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION",
                    "GRU-UPDATE-INVERTED", "GRU-RESET-PLACEMENT",
                    "STATE-NOT-CARRIED", "RETURNS-LAST-ONLY", "MODIFIES-INPUTS"},
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
    assert re.search(rf"{'hidden' if hidden else 'visible'} case \d+ \(reset_after=(True|False), ",
                     message)
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


# ---------------------------------------------------------------- reset_after, both ways

def _only_one_formulation(formulation):
    """A GRU cell that computes the candidate as ``formulation`` asks, whatever reset_after says."""
    def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
        u = h_prev.shape[1]
        b_in, b_rec = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
        a_x, a_h = x_t @ kernel + b_in, h_prev @ recurrent_kernel + b_rec
        z = 1 / (1 + np.exp(-(a_x[:, :u] + a_h[:, :u])))
        r = 1 / (1 + np.exp(-(a_x[:, u:2 * u] + a_h[:, u:2 * u])))
        if formulation == "after":
            h_tilde = np.tanh(a_x[:, 2 * u:] + r * a_h[:, 2 * u:])
        else:
            h_tilde = np.tanh(a_x[:, 2 * u:] + (r * h_prev) @ recurrent_kernel[:, 2 * u:]
                              + b_rec[2 * u:])
        return z * h_prev + (1 - z) * h_tilde
    return gru_cell_forward


@MODES
@pytest.mark.parametrize("formulation, failing", [("after", "False"), ("before", "True")])
def test_a_cell_that_ignores_reset_after_is_told_which_one_failed(formulation, failing, hidden):
    with pytest.raises(AssertionError) as info:
        check_gru_cell_forward(_only_one_formulation(formulation), hidden=hidden)
    message = flat(str(info.value))
    assert f"(reset_after={failing}, " in message
    assert MISTAKE_ID.findall(message) == ["GRU-RESET-PLACEMENT"]


def test_the_student_function_receives_reset_after():
    seen = []

    def spy(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
        seen.append(reset_after)
        return gru.gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after)

    check_gru_forward(spy)
    assert set(seen) == {True, False}
    assert all(p.kwargs["reset_after"] is (p.args[-1].ndim == 2)
               for p in gru_checks._SEQUENCE_PROBES["hidden"])


# ---------------------------------------------------------------- the variants and the probes

@pytest.mark.parametrize("reset_after", [True, False])
def test_variants_right_configuration_equals_the_reference(rng, reset_after):
    x = rng.normal(size=(3, 4, 2))
    h0 = rng.uniform(-1, 1, size=(3, 5))
    bias_shape = (2, 15) if reset_after else (15,)
    weights = [rng.normal(size=s) for s in ((2, 15), (5, 15), bias_shape)]
    np.testing.assert_allclose(variants.gru_step(x[:, 0], h0, *weights, reset_after),
                               gru.gru_cell_forward(x[:, 0], h0, *weights, reset_after),
                               atol=1e-12)
    np.testing.assert_allclose(variants.unroll(variants.gru_step)(x, h0, *weights, reset_after),
                               gru.gru_forward(x, h0, *weights, reset_after), atol=1e-12)


@pytest.mark.parametrize("mode", ["visible", "hidden"])
@pytest.mark.parametrize("name", CHECKERS)
def test_probes_tell_the_known_mistakes_apart(name, mode):
    for reset_after in (True, False):
        assert_probes_tell_mistakes_apart(
            [p for p in PROBES[name][mode] if p.kwargs["reset_after"] is reset_after])


@pytest.mark.parametrize("name", CHECKERS)
def test_each_formulation_starts_with_a_square_probe(name):
    for probes in PROBES[name].values():
        for reset_after in (True, False):
            first = next(p for p in probes if p.kwargs["reset_after"] is reset_after)
            assert first.sizes["input_dim"] == first.sizes["units"]
            assert np.any(first.args[1] != 0)   # non-zero h0


# ---------------------------------------------------------------- localised and combined mistakes
# Hand-written wrong cells: (label, source, ids named, words the message must hold).

_GRU_PARTS = '''
import numpy as np

def sig(a):
    return 1 / (1 + np.exp(-a))

def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=True):
    u = h_prev.shape[1]
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    W_z, W_r, W_h = kernel[:, :u], kernel[:, u:2*u], kernel[:, 2*u:]
    U_z, U_r, U_h = recurrent_kernel[:, :u], recurrent_kernel[:, u:2*u], recurrent_kernel[:, 2*u:]
    b_z, b_r, b_h = b_in[:u], b_in[u:2*u], b_in[2*u:]
    c_z, c_r, c_h = b_rec[:u], b_rec[u:2*u], b_rec[2*u:]
    {change}
    z = {act_z}(x_t @ W_z + b_z + h_prev @ U_z + c_z)
    r = {act_r}(x_t @ W_r + b_r + h_prev @ U_r + c_r)
    if reset_after:
        h_tilde = np.tanh(x_t @ W_h + b_h + r * (h_prev @ U_h + c_h))
    else:
        h_tilde = np.tanh(x_t @ W_h + b_h + (r * h_prev) @ U_h)
    return z * h_prev + (1 - z) * h_tilde
'''


def _gru_cell(change="pass", act_z="sig", act_r="sig"):
    return _GRU_PARTS.format(change=change, act_z=act_z, act_r=act_r)


LOCALISED = [
    ("only U_h transposed", _gru_cell("U_h = U_h.T"), ["TRANSPOSED-WEIGHTS"],
     ["the candidate h~ block (columns 2*units:3*units) of recurrent_kernel transposed"]),
    ("only W_r transposed", _gru_cell("W_r = W_r.T"), ["TRANSPOSED-WEIGHTS"],
     ["the reset gate r block (columns units:2*units) of kernel transposed"]),
    ("recurrent bias row left out", _gru_cell("c_z = c_r = c_h = 0"), ["MISSING-BIAS"],
     ["bias[1] (the recurrent bias row) left out", "two bias rows"]),
    ("candidate input bias left out", _gru_cell("b_h = 0"), ["MISSING-BIAS"],
     ["the candidate h~ block (columns 2*units:3*units) of bias[0] (the input bias row) left out"]),
    ("tanh for r only", _gru_cell(act_r="np.tanh"), ["WRONG-ACTIVATION"],
     ["tanh instead of sigmoid for the reset gate r", "03_gru, 'The GRU at a glance'"]),
    ("no bias and tanh gates", _gru_cell("b_in = b_rec = 0 * bias[..., :0]; b_z = b_r = b_h = "
                                          "c_z = c_r = c_h = 0", act_z="np.tanh", act_r="np.tanh"),
     ["MISSING-BIAS", "WRONG-ACTIVATION"],
     ["no bias at all together with tanh for the gates z and r instead of sigmoid"]),
    ("z and r swapped", _gru_cell("W_z, W_r, U_z, U_r, b_z, b_r, c_z, c_r = "
                                   "W_r, W_z, U_r, U_z, b_r, b_z, c_r, c_z"),
     ["GRU-GATE-ORDER"], ["Keras stores the GRU's blocks as z, r, h~"]),
    ("z reads the r block of kernel (no known mistake)", _gru_cell("W_z = W_r"), [],
     ["Where:", "the update gate z block (columns 0:units) of kernel",
      "the reset gate r block (columns units:2*units) of kernel"]),
    ("a doubled candidate (no known mistake)", _gru_cell("U_h = 2 * U_h"), [],
     ["Where:", "is wrong when the candidate h~ block (columns 2*units:3*units) of "
      "recurrent_kernel is non-zero"]),
    ("the reset gate's input bias doubled (no known mistake)", _gru_cell("b_r = 2 * b_r"), [],
     ["Where: with kernel and recurrent_kernel set to zero your h_next is wrong, and right "
      "again once the reset gate r block (columns units:2*units) of bias[0] (the input "
      "bias row)"]),
]


@pytest.mark.parametrize("label, source, ids, fragments", LOCALISED,
                         ids=[row[0] for row in LOCALISED])
def test_a_wrong_part_is_localised_and_named(label, source, ids, fragments):
    message = fails_with(check_gru_cell_forward, sv.load(source, "gru_cell_forward"), *fragments)
    assert MISTAKE_ID.findall(message) == ids
    assert "(reset_after=True, " in message


def test_a_transposed_kernel_and_an_uncarried_state_are_both_named():
    source = _gru_cell("W_z, W_r, W_h = W_z.T, W_r.T, W_h.T") + '''

def gru_forward(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    states = [gru_cell_forward(x[:, t], h0, kernel, recurrent_kernel, bias, reset_after)
              for t in range(x.shape[1])]
    return np.stack(states, axis=1)
'''
    message = fails_with(check_gru_forward, sv.load(source, "gru_forward"),
                         "h0 fed to every step together with each block of kernel transposed")
    assert MISTAKE_ID.findall(message) == ["STATE-NOT-CARRIED", "TRANSPOSED-WEIGHTS"]


def test_a_right_cell_passes_the_part_probes(capsys):
    passes_quietly(check_gru_cell_forward, sv.load(_gru_cell(), "gru_cell_forward"), capsys,
                   hidden=False)
