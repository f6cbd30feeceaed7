"""check_gru_cell_forward / check_gru_forward, for reset_after=True AND False:
right answers pass quietly, each known mistake is named by exactly its id, a
function that ignores reset_after is told which formulation failed, and the
probes tell the mistakes apart.
"""
import re

import numpy as np
import pytest
import student_variants as sv
from student_variants import MISTAKE_ID, assert_probes_tell_mistakes_apart

from course_utils import gru
from course_utils.checks import check_gru_cell_forward, check_gru_forward
from course_utils.checks import gru as gru_checks
from course_utils.checks import variants
from check_helpers import flat

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
