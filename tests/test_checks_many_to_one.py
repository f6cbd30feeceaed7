"""check_predict_last_step: right answers pass quietly, known mistakes are named.

The reference is checked against a real Keras model (SimpleRNN + Dense with a
sigmoid), the student functions below are written independently of the
checker's reference, and every probe is checked to tell the mistakes apart.
"""
import numpy as np
import pytest
from check_helpers import fails_with, flat, passes_quietly

from course_utils.checks import check_predict_last_step, many_to_one

PROBE_SEPARATION = 1e-3  # every known mistake must differ from the answer by more than this


# ---------------------------------------------------------------- student answers

def _loop_states(x, h0, kernel, recurrent_kernel, bias, carry=True, use_bias=True):
    h, states = h0, []
    for t in range(x.shape[1]):
        pre = x[:, t] @ kernel + (h if carry else h0) @ recurrent_kernel
        h = np.tanh(pre + bias if use_bias else pre)
        states.append(h)
    return np.stack(states, axis=1)


def _naive_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))  # overflows for a < -710: must stay silent in the checker


def loop_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    h_last = _loop_states(x, h0, kernel, recurrent_kernel, bias)[:, -1]
    return _naive_sigmoid(h_last @ dense_kernel + dense_bias)


def einsum_float32_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    h = h0.astype(np.float32)
    for t in range(x.shape[1]):
        h = np.tanh(np.einsum("bi,iu->bu", x[:, t].astype(np.float32), kernel.astype(np.float32))
                    + h @ recurrent_kernel.astype(np.float32) + bias.astype(np.float32))
    logits = h @ dense_kernel.astype(np.float32) + dense_bias.astype(np.float32)
    return (0.5 * (1 + np.tanh(0.5 * logits))).astype(np.float32)


def _wrong(read="last", squash="sigmoid", dense_bias_used=True, carry=True, rnn_bias=True):
    def answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        states = _loop_states(x, h0, kernel, recurrent_kernel, bias, carry, rnn_bias)
        state = {"last": states[:, -1], "mean": states.mean(axis=1), "first": states[:, 0],
                 "h0": h0, "every": states}[read]
        logits = state @ dense_kernel + (dense_bias if dense_bias_used else 0.0)
        if squash == "sigmoid":
            return _naive_sigmoid(logits)
        if squash == "softmax":
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        if squash == "squeezed":
            return _naive_sigmoid(logits)[:, 0]
        return {"none": logits, "tanh": np.tanh(logits)}[squash]
    return answer


WRONG_ANSWERS = {
    # name: (student function, the id the message must name)
    "mean of states": (_wrong(read="mean"), "MANY-TO-ONE-MEAN-STATE"),
    "first state": (_wrong(read="first"), "MANY-TO-ONE-FIRST-STATE"),
    "initial state": (_wrong(read="h0"), "MANY-TO-ONE-READS-H0"),
    "every step": (_wrong(read="every"), "MANY-TO-ONE-EVERY-STEP"),
    "logits": (_wrong(squash="none"), "PROBABILITY-NO-SIGMOID"),
    "tanh": (_wrong(squash="tanh"), "PROBABILITY-TANH"),
    "softmax": (_wrong(squash="softmax"), "PROBABILITY-SOFTMAX-ONE-UNIT"),
    "squeezed": (_wrong(squash="squeezed"), "OUTPUT-SQUEEZED"),
    "no dense bias": (_wrong(dense_bias_used=False), "MISSING-BIAS"),
    "state not carried": (_wrong(carry=False), "STATE-NOT-CARRIED"),
    "no rnn bias": (_wrong(rnn_bias=False), "MISSING-BIAS"),
}


# ---------------------------------------------------------------- the reference

def test_reference_matches_a_keras_many_to_one_model():
    import keras

    for case in many_to_one._cases(hidden=False):          # visible cases start from h0 = 0
        _, steps, input_dim = case["x"].shape
        units = case["h0"].shape[1]
        model = keras.Sequential([keras.Input((steps, input_dim)),
                                  keras.layers.SimpleRNN(units),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.set_weights([case[name].astype(np.float32) for name in
                           ("kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias")])
        keras_out = np.asarray(model(case["x"].astype(np.float32)))
        np.testing.assert_allclose(many_to_one.reference_predict_last_step(**case), keras_out,
                                   rtol=0, atol=1e-5)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_probes_tell_every_mistake_from_the_answer(hidden):
    """On at least one probe each mistake is far from the answer (T=1 probes cannot show all)."""
    separated = {}
    for case in many_to_one._cases(hidden):
        expected = many_to_one.reference_predict_last_step(**case)
        for mistake, out in many_to_one._wrong_outputs(case):
            far = out.shape != expected.shape or np.abs(out - expected).max() > PROBE_SEPARATION
            separated[mistake.hint] = separated.get(mistake.hint, False) or far
    assert len(separated) == 11 and all(separated.values()), separated


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_probes_tell_the_mistakes_apart(hidden):
    """Where a mistake is caught, no other known mistake gives the same output."""
    for case in many_to_one._cases(hidden):
        outputs = [out for _, out in many_to_one._wrong_outputs(case)]
        expected = many_to_one.reference_predict_last_step(**case)
        caught = [out.shape != expected.shape or np.abs(out - expected).max() > PROBE_SEPARATION
                  for out in outputs]
        for i in range(len(outputs)):
            for j in range(i + 1, len(outputs)):
                if caught[i] and caught[j] and outputs[i].shape == outputs[j].shape:
                    assert np.abs(outputs[i] - outputs[j]).max() > PROBE_SEPARATION, (i, j)


# ---------------------------------------------------------------- right answers

@pytest.mark.parametrize("answer", [loop_answer, einsum_float32_answer])
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_right_answers_pass_with_one_line_and_no_stderr(answer, hidden, capsys):
    passes_quietly(check_predict_last_step, answer, capsys, hidden)


def test_naive_sigmoid_overflow_stays_silent(capfd):
    def huge_logits(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        return loop_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel * 1e4, dense_bias)
    with pytest.raises(AssertionError):   # wrong, but it must fail through the checker's words
        check_predict_last_step(huge_logits)
    assert capfd.readouterr().err == ""


def test_student_that_mutates_its_inputs_is_told_so():
    def answer_then_scribble(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        result = loop_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias)
        for array in (x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
            array[...] = 0.0
        return result
    fails_with(check_predict_last_step, answer_then_scribble, "[MODIFIES-INPUTS]",
               "predict_last_step changed its arguments", hidden=True)


# ---------------------------------------------------------------- wrong answers

@pytest.mark.parametrize("name", list(WRONG_ANSWERS))
@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_known_mistakes_are_named(name, hidden):
    answer, mistake_id = WRONG_ANSWERS[name]
    message = fails_with(check_predict_last_step, answer, f"[{mistake_id}]", "expected",
                         "batch=", "predict_last_step", hidden=hidden)
    assert "GRU" not in message                                 # the words of lesson 01
    assert "Reread: 01_simple_rnn" in message


def test_the_dense_bias_and_the_rnn_bias_are_told_apart():
    dense = fails_with(check_predict_last_step, _wrong(dense_bias_used=False), "dense_bias is missing")
    rnn = fails_with(check_predict_last_step, _wrong(rnn_bias=False), "SimpleRNN's bias is missing")
    assert "SimpleRNN's bias" not in dense and "dense_bias is missing" not in rnn


def test_values_outside_zero_one_get_a_hint_even_without_a_known_mistake():
    def shifted(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        return loop_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias) + 2.0
    fails_with(check_predict_last_step, shifted, "outside [0, 1]", "[PROBABILITY-NO-SIGMOID]")


def test_an_unknown_mistake_still_says_expected_got_and_where():
    def slightly_off(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        return loop_answer(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias) * 0.9
    with pytest.raises(AssertionError) as info:
        check_predict_last_step(slightly_off)
    message = flat(str(info.value))
    assert "Largest difference at index" in message and "expected" in message
    assert "\n" not in message                                   # no hint invented


def test_stub_none_and_crash_get_friendly_messages():
    def stub(*args):
        raise NotImplementedError()

    def forgot_return(*args):
        pass

    def crashes(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
        return x @ dense_kernel

    fails_with(check_predict_last_step, stub, "not implemented yet")
    fails_with(check_predict_last_step, forgot_return, "forget `return`")
    fails_with(check_predict_last_step, crashes, "raised ValueError")


def test_reassigning_numpy_comparisons_does_not_help(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    fails_with(check_predict_last_step, WRONG_ANSWERS["mean of states"][0],
               "[MANY-TO-ONE-MEAN-STATE]")


def test_reassigning_numpy_math_cannot_change_the_expected_answer(monkeypatch):
    """With np.abs returning zeros, a sigmoid computed now would give 0.5 everywhere."""
    def always_one_half(x, *args):
        return np.full((x.shape[0], 1), 0.5)
    monkeypatch.setattr(np, "abs", lambda a: np.zeros_like(a))
    monkeypatch.setattr(np, "tanh", lambda a: np.zeros_like(a))
    fails_with(check_predict_last_step, always_one_half, "expected")
