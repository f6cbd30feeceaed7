"""check_rnn_cell_forward / check_rnn_forward: right answers pass quietly, each
known mistake is named by exactly its id, and the probes tell the mistakes apart.

The student answers live in ``student_variants.py``; the known-wrong variants
the checkers diagnose with are checked here against the reference, so a test
never relies on pasted expected values.
"""
import re

import numpy as np
import pytest
import student_variants as sv
from check_helpers import fails_with, flat
from student_variants import MISTAKE_ID, assert_probes_tell_mistakes_apart

from course_utils import simple_rnn
from course_utils.checks import check_rnn_cell_forward, check_rnn_forward, variants
from course_utils.checks import simple_rnn as rnn_checks

CHECKERS = {"rnn_cell_forward": check_rnn_cell_forward, "rnn_forward": check_rnn_forward}
PROBES = {"rnn_cell_forward": rnn_checks._STEP_PROBES, "rnn_forward": rnn_checks._SEQUENCE_PROBES}
# The ids (CONTRIBUTING.md, "Misconception ids") that can happen in each function.
APPLICABLE = {
    "rnn_cell_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION",
                         "MODIFIES-INPUTS", "OUTPUT-TRANSPOSED"},
    "rnn_forward": {"MISSING-BIAS", "TRANSPOSED-WEIGHTS", "WRONG-ACTIVATION",
                    "STATE-NOT-CARRIED", "RETURNS-LAST-ONLY", "MODIFIES-INPUTS",
                    "STATES-TIME-FIRST", "STATES-INCLUDE-H0", "SEQUENCE-STATE-BEFORE-STEP"},
}
MODES = pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])


def _answers(table):
    return [pytest.param(name, label, id=f"{name}-{label}")
            for name in CHECKERS for label in table[name]]


@MODES
@pytest.mark.parametrize("name, label", _answers(sv.CORRECT))
def test_right_answer_passes_with_one_line_and_no_stderr(name, label, hidden, capfd):
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
    assert f"{'hidden' if hidden else 'visible'} case 1 (" in message          # where: which case
    if expected_id == "MODIFIES-INPUTS":      # right values, but the caller's arrays change
        assert "in place" in message
    else:
        assert re.search(r"expected|should have shape", message) and "got" in message
    if expected_id:
        assert "Reread:" in message
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", CHECKERS)
def test_every_applicable_mistake_has_a_wrong_answer(name):
    assert {mid for mid, _ in sv.WRONG[name].values() if mid} == APPLICABLE[name]


def test_messages_say_expected_got_and_where():
    with pytest.raises(AssertionError) as info:
        check_rnn_forward(sv.load(sv.WRONG["rnn_forward"]["h0_every_step"][1], "rnn_forward"))
    message = flat(str(info.value))
    assert message.startswith("h_seq for visible case 1 (batch=2, T=4, input_dim=3, units=3, ")
    assert "non-zero h0" in message
    assert re.search(r"Largest difference at index \[\d, \d, \d\]: expected -?[\d.]+, got -?[\d.]+",
                     message)
    assert "Step t=0 is right; the first wrong step is t=1" in message


def test_shape_is_checked_first_with_named_axes():
    with pytest.raises(AssertionError) as info:
        check_rnn_cell_forward(sv.load(sv.WRONG["rnn_cell_forward"]["transposed_output"][1],
                                       "rnn_cell_forward"))
    assert "h_next should have shape (batch, units) = (2, 3), got (3, 2)" in flat(str(info.value))


def test_returns_last_only_also_names_a_mistake_inside_the_loop():
    def last_state_without_bias(x, h0, kernel, recurrent_kernel, bias):
        h = h0
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel)
        return h

    with pytest.raises(AssertionError) as info:
        check_rnn_forward(last_state_without_bias)
    assert MISTAKE_ID.findall(flat(str(info.value))) == ["RETURNS-LAST-ONLY", "MISSING-BIAS"]


# ---------------------------------------------------------------- the variants and the probes

def test_variants_right_configuration_equals_the_reference(rng):
    x = rng.normal(size=(3, 4, 2))
    h0 = rng.uniform(-1, 1, size=(3, 5))
    weights = [rng.normal(size=s) for s in ((2, 5), (5, 5), (5,))]
    np.testing.assert_allclose(variants.rnn_step(x[:, 0], h0, *weights),
                               simple_rnn.rnn_cell_forward(x[:, 0], h0, *weights), atol=1e-12)
    np.testing.assert_allclose(variants.unroll(variants.rnn_step)(x, h0, *weights),
                               simple_rnn.rnn_forward(x, h0, *weights), atol=1e-12)


@pytest.mark.parametrize("mode", ["visible", "hidden"])
@pytest.mark.parametrize("name", CHECKERS)
def test_probes_tell_the_known_mistakes_apart(name, mode):
    assert_probes_tell_mistakes_apart(PROBES[name][mode])


@pytest.mark.parametrize("name", CHECKERS)
def test_first_probe_is_square_with_non_zero_state_and_bias(name):
    for probes in PROBES[name].values():
        sizes = probes[0].sizes
        assert sizes["input_dim"] == sizes["units"] and sizes["batch"] != sizes["units"]
        assert sizes.get("T", 3) >= 3 and sizes.get("T", 0) != sizes["batch"]
        x, h0, kernel, recurrent_kernel, bias = probes[0].args
        assert np.any(h0 != 0) and np.any(bias != 0)


def test_hidden_probes_cover_odd_shapes():
    shapes = [p.sizes for p in rnn_checks._SEQUENCE_PROBES["hidden"]]
    assert any(s["batch"] == 1 for s in shapes) and any(s["T"] == 1 for s in shapes)
    assert any(s["units"] == 1 for s in shapes)
    assert any(s["input_dim"] != s["units"] for s in shapes)


def test_a_cell_that_writes_into_its_inputs_is_blamed_not_the_sequence_loop():
    source = '''
import numpy as np

def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    h_prev[...] = 0            # "tidying up" after computing the output
    return h_next

def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1)
'''
    with pytest.raises(AssertionError) as info:
        check_rnn_forward(sv.load(source, "rnn_forward"))
    message = flat(str(info.value))
    assert MISTAKE_ID.findall(message) == ["MODIFIES-INPUTS"]
    assert "the cause is your rnn_cell_forward" in message and "argument h_prev" in message
    assert "check the cell's equations" not in message


# ---------------------------------------------------------------- localised mistakes and chaining
# Hand-written wrong answers: (label, function name, source, ids named, words the message holds).

_CELL = '''
import numpy as np

def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
'''


def _forward(loop_body, start="h = h0"):
    return _CELL + f'''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    {start}
    states = []
    for t in range(x.shape[1]):
        {loop_body}
    return np.stack(states, axis=1)
'''


LOCALISED = [
    ("no bias, sigmoid", "rnn_cell_forward", '''
import numpy as np

def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return 1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel)))
''', ["MISSING-BIAS", "WRONG-ACTIVATION"],
     ["the bias left out together with sigmoid instead of tanh", "one bias vector (units,)"]),
    ("recurrent kernel doubled (no known mistake)", "rnn_cell_forward", '''
import numpy as np

def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + 2 * h_prev @ recurrent_kernel + bias)
''', [], ["Where:", "is wrong when recurrent_kernel is non-zero"]),
    ("starts from zeros", "rnn_forward",
     _forward("h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)\n"
              "        states.append(h)", start="h = np.zeros_like(h0)"),
     ["SEQUENCE-IGNORES-H0"], ["started from zeros instead of h0"]),
    ("stores the state before the step", "rnn_forward",
     _forward("states.append(h)\n"
              "        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)"),
     ["SEQUENCE-STATE-BEFORE-STEP"], ["Each step returned the state it started from (h0 at t=0)"]),
    ("feeds the state of two steps back", "rnn_forward",
     _forward("new = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)\n"
              "        h = states[-1] if states else h\n"
              "        states.append(new)"),
     [], ["Step t=0 is right; the first wrong step is t=1",
          "your loop does not pass each step's new state to the next step"]),
    ("transposed kernel, h0 every step", "rnn_forward", '''
import numpy as np

def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    return np.stack([np.tanh(x[:, t] @ kernel.T + h0 @ recurrent_kernel + bias)
                     for t in range(x.shape[1])], axis=1)
''', ["STATE-NOT-CARRIED", "TRANSPOSED-WEIGHTS"],
     ["h0 fed to every step together with kernel transposed (x_t @ kernel.T)"]),
]


@pytest.mark.parametrize("label, name, source, ids, fragments", LOCALISED,
                         ids=[row[0] for row in LOCALISED])
def test_a_wrong_answer_is_localised_and_named(label, name, source, ids, fragments):
    message = fails_with(CHECKERS[name], sv.load(source, name), *fragments)
    assert MISTAKE_ID.findall(message) == ids
    assert "GRU" not in message and "bias[1]" not in message   # this lesson's own words


def test_modifies_inputs_sends_the_student_back_to_the_exercise_at_hand():
    def scribbles(x_t, h_prev, kernel, recurrent_kernel, bias):
        x_t += 1
        return np.tanh((x_t - 1) @ kernel + h_prev @ recurrent_kernel + bias)

    with pytest.raises(AssertionError) as info:
        check_rnn_cell_forward(scribbles)
    assert "(Reread: 01_simple_rnn, 'Exercise 1: one step of the cell'.)" in flat(info.value)
