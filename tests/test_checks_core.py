"""The lead's checker core (``course_utils.checks._core``) as a student meets it
through the forward checkers: friendly messages for stubs, crashes and odd
return values; no stderr; inputs copied; numpy tampering ignored; the large
pre-activation probe really exercises a naive sigmoid; every checker is fast.
"""
import functools
import re
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import student_variants as sv
from check_helpers import flat, flex

from course_utils import gru, lstm, simple_rnn, weights
from course_utils.checks import (
    check_gru_cell_forward,
    check_gru_forward,
    check_lstm_cell_forward,
    check_lstm_forward,
    check_rnn_cell_forward,
    check_rnn_forward,
    check_rnn_param_count,
)
from course_utils.checks import gru as gru_checks
from course_utils.checks import lstm as lstm_checks
from course_utils.checks import simple_rnn as rnn_checks

# name -> (checker, reference implementation)
CHECKERS = {
    "rnn_cell_forward": (check_rnn_cell_forward, simple_rnn.rnn_cell_forward),
    "rnn_forward": (check_rnn_forward, simple_rnn.rnn_forward),
    "gru_cell_forward": (check_gru_cell_forward, gru.gru_cell_forward),
    "gru_forward": (check_gru_forward, gru.gru_forward),
    "lstm_cell_forward": (check_lstm_cell_forward, lstm.lstm_cell_forward),
    "lstm_forward": (check_lstm_forward, lstm.lstm_forward),
    "rnn_param_count": (check_rnn_param_count, weights.rnn_param_count),
}
ALL_PROBES = {
    "rnn_cell_forward": rnn_checks._STEP_PROBES, "rnn_forward": rnn_checks._SEQUENCE_PROBES,
    "gru_cell_forward": gru_checks._STEP_PROBES, "gru_forward": gru_checks._SEQUENCE_PROBES,
    "lstm_cell_forward": lstm_checks._STEP_PROBES, "lstm_forward": lstm_checks._SEQUENCE_PROBES,
}
MODES = pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])


def _failure(check, fn, **kwargs):
    with pytest.raises(AssertionError) as info:
        check(fn, **kwargs)
    return info.value


# ---------------------------------------------------------------- what comes back from the student

@MODES
@pytest.mark.parametrize("name", CHECKERS)
def test_a_stub_gets_a_friendly_message_and_no_traceback_chain(name, hidden):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    stub.__name__ = name
    error = _failure(CHECKERS[name][0], stub, hidden=hidden)
    assert flat(str(error)) == (f"{name} is not implemented yet: replace `raise NotImplementedError()` "
                          "with your code.")
    assert error.__cause__ is None and error.__suppress_context__


@MODES
def test_a_crash_names_the_line_and_the_case(hidden):
    def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + recurrent_kernel @ h_prev + bias)   # (units, units) @ (batch, units)

    error = _failure(check_rnn_cell_forward, rnn_cell_forward, hidden=hidden)
    message = flat(str(error))
    assert "rnn_cell_forward raised ValueError" in message
    assert re.search(r"\(line \d+ of rnn_cell_forward\)\. Check the shapes", message)
    assert f"This happened for {'hidden' if hidden else 'visible'} case 1 (" in message
    assert error.__suppress_context__


def test_none_is_explained():
    error = _failure(check_rnn_forward, lambda x, h0, W, U, b: None)
    assert "Did you forget `return`?" in flat(str(error))
    error = _failure(check_lstm_forward, lambda x, h0, c0, W, U, b: None)
    assert "should return 2 arrays, (h_seq, c_seq)" in flat(str(error))
    assert "it returned None (did you forget `return`?)" in flat(str(error))


def test_a_non_array_is_explained():
    error = _failure(check_rnn_cell_forward, lambda x_t, h, W, U, b: "h_next")
    assert "expected a numpy array but got str" in flat(str(error))


def test_a_tuple_where_one_array_belongs_is_explained():
    error = _failure(check_rnn_forward, lambda x, h0, W, U, b: (simple_rnn.rnn_forward(
        x, h0, W, U, b), h0))
    assert "rnn_forward should return one array, h_seq" in flat(str(error))


def test_nan_is_located():
    def with_nan(x_t, h_prev, kernel, recurrent_kernel, bias):
        h = simple_rnn.rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias)
        h[1, 2] = np.nan
        return h

    assert "got NaN at index [1, 2]" in str(_failure(check_rnn_cell_forward, with_nan))


def test_a_list_of_states_gets_the_time_axis_hint():
    def list_of_states(x, h0, kernel, recurrent_kernel, bias):
        return list(simple_rnn.rnn_forward(x, h0, kernel, recurrent_kernel, bias).swapaxes(0, 1))

    message = flat(_failure(check_rnn_forward, list_of_states))
    assert "[STATES-TIME-FIRST] The states were stacked with time first" in message


@MODES
@pytest.mark.parametrize("name", CHECKERS)
def test_a_function_without_source_code_passes(name, hidden, capfd):
    # A partial has no source to read: diagnosis never looks at source code.
    CHECKERS[name][0](functools.partial(CHECKERS[name][1]), hidden=hidden)
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- stderr, warnings, tampering

def test_student_chatter_on_stderr_and_warnings_never_reach_stderr(capfd):
    def noisy(x_t, h_prev, kernel, recurrent_kernel, bias):
        print("debug", x_t.shape, file=sys.stderr)
        warnings.warn("a student warning", stacklevel=1)
        np.log(np.zeros(1))                                # divide-by-zero RuntimeWarning
        return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

    check_rnn_cell_forward(noisy)
    check_rnn_cell_forward(noisy, hidden=True)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", ["gru_cell_forward", "gru_forward", "lstm_cell_forward",
                                  "lstm_forward"])
@pytest.mark.parametrize("mode", ["visible", "hidden"])
def test_a_probe_makes_a_naive_sigmoid_overflow(name, mode):
    """So the quiet pass of the naive-sigmoid answers is a real test of the silencing."""
    answers = {**sv.CORRECT[name], **{k: source for k, (_, source) in sv.WRONG[name].items()}}
    label = next(k for k in answers if k.startswith("naive_sigmoid"))
    student = sv.load(answers[label], name)
    large = [p for p in ALL_PROBES[name][mode] if "huge negative" in p.case]
    assert large
    for probe in large:
        for dtype in (np.float32, np.float64):
            args = [a.astype(dtype) for a in probe.args]
            with np.errstate(over="warn"), pytest.warns(RuntimeWarning, match=flex("overflow")):
                student(*args, **probe.kwargs)


def test_reassigned_numpy_comparisons_do_not_make_a_wrong_answer_pass(monkeypatch):
    """A student cell that runs ``np.allclose = lambda *a, **k: True`` (and friends) first."""
    always = lambda *args, **kwargs: True  # noqa: E731
    never_raise = lambda *args, **kwargs: None  # noqa: E731
    for attribute in ("allclose", "isclose", "array_equal", "all", "any"):
        monkeypatch.setattr(np, attribute, always)
    for attribute in ("assert_allclose", "assert_array_almost_equal", "assert_array_equal"):
        monkeypatch.setattr(np.testing, attribute, never_raise)
    monkeypatch.setattr(np, "abs", lambda a, *args, **kwargs: a * 0)
    wrong = sv.load(sv.WRONG["rnn_forward"]["h0_every_step"][1], "rnn_forward")
    for hidden in (False, True):
        error = _failure(check_rnn_forward, wrong, hidden=hidden)
        assert "[STATE-NOT-CARRIED]" in flat(str(error))


def test_reassigned_tanh_does_not_change_the_expected_answer(monkeypatch):
    """Expected outputs are computed at import time, before any student cell runs."""
    monkeypatch.setattr(np, "tanh", lambda a, *args, **kwargs: np.clip(a, -1, 1))
    monkeypatch.setattr(np, "exp", lambda a, *args, **kwargs: 1 + a)
    student = sv.load(sv.CORRECT["lstm_cell_forward"]["concatenated_weights_float64"],
                      "lstm_cell_forward")   # uses np.tanh and np.exp: now wrong
    for hidden in (False, True):
        assert "values differ" in str(_failure(check_lstm_cell_forward, student, hidden=hidden))


_TABLES = """
import json, os, sys, types
if sys.argv[1] == "grading-kernel":    # what a kernel the grader started looks like
    os.environ["RNN_COURSE_GRADING"] = "1"
    import IPython
    IPython.get_ipython = lambda: types.SimpleNamespace(kernel=object())
elif sys.argv[1] == "grader":          # the grader's own process: no kernel
    os.environ["RNN_COURSE_GRADING"] = "1"
from course_utils.checks import _core, gated_backward, gru, lstm, simple_rnn
tables = [value for module in (gru, lstm, simple_rnn, gated_backward)
          for value in vars(module).values() if isinstance(value, _core.Precomputed)]
built = [t._table is not None for t in tables]
import numpy as np
from course_utils import gru as reference
np.tanh = lambda a, *args, **kwargs: np.clip(a, -1, 1)   # a student's reassignment
try:
    gru.check_gru_forward(reference.gru_forward, hidden=True)
    verdict = "passed"
except AssertionError:
    verdict = "failed"
print(json.dumps({"tables": len(tables), "built_at_import": built, "verdict": verdict}))
"""


def _tables(where: str) -> dict:
    import json

    done = subprocess.run([sys.executable, "-c", _TABLES, where], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_probe_tables_are_built_at_import_except_in_a_grading_kernel():
    """A lesson's kernel (and the grader's process) builds the expected answers before
    any student cell runs; a grading kernel, whose checkers grade nothing, skips that
    work until a checker is called there."""
    lesson, grader, kernel = _tables("lesson"), _tables("grader"), _tables("grading-kernel")
    assert lesson["tables"] >= 13
    assert all(lesson["built_at_import"]) and all(grader["built_at_import"])
    assert not any(kernel["built_at_import"])
    # The "student" is the course's gru_forward, which now calls the reassigned np.tanh.
    # Expected answers built before the reassignment catch it; built after it (only where
    # no grade depends on them) they carry the same wrong tanh.
    assert lesson["verdict"] == grader["verdict"] == "failed"
    assert kernel["verdict"] == "passed"


@pytest.mark.parametrize("name", ["rnn_cell_forward", "rnn_forward", "gru_forward",
                                  "lstm_cell_forward", "lstm_forward"])
def test_a_student_that_mutates_its_inputs_is_told_and_corrupts_nothing(name):
    label = next(k for k in sv.WRONG[name] if "mutates_inputs" in k)
    mutating = sv.load(sv.WRONG[name][label][1], name)
    check, reference = CHECKERS[name]
    saved = {mode: [[a.copy() for a in p.args] for p in probes]
             for mode, probes in ALL_PROBES[name].items()}
    for hidden in (False, True):
        error = _failure(check, mutating, hidden=hidden)   # told: it scribbles over its arguments
        assert "[MODIFIES-INPUTS]" in str(error) and "in place" in flat(str(error))
        check(reference, hidden=hidden)    # and the probes are still intact for the next one
    for mode, probes in ALL_PROBES[name].items():
        for probe, copies in zip(probes, saved[mode]):
            for arg, copy in zip(probe.args, copies):
                np.testing.assert_array_equal(arg, copy)


# ---------------------------------------------------------------- speed and output

@MODES
@pytest.mark.parametrize("name", CHECKERS)
def test_a_check_prints_one_line_and_takes_under_0_3_s(name, hidden, capsys):
    check, reference = CHECKERS[name]
    durations = []
    for _ in range(3):   # best of three: the machine is shared
        start = time.perf_counter()
        check(reference, hidden=hidden)
        durations.append(time.perf_counter() - start)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and len(set(lines)) == 1 and len(lines[0]) < 200
    assert min(durations) < 0.3


def test_importing_the_checkers_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys, time\n"
        "import course_utils.simple_rnn, course_utils.gru, course_utils.lstm, course_utils.weights\n"
        "start = time.process_time()  # CPU time: other engineers' jobs share the machine\n"
        "import course_utils.checks.simple_rnn, course_utils.checks.gru\n"
        "import course_utils.checks.lstm, course_utils.checks.params\n"
        "print(time.process_time() - start, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    seconds, tf_loaded, keras_loaded = result.stdout.split()
    assert float(seconds) < 1.0, result.stdout
    assert (tf_loaded, keras_loaded) == ("False", "False")
    assert result.stderr == ""


def test_a_stub_called_from_another_function_is_named():
    """rnn_forward that calls an unfinished rnn_cell_forward points at the stub, not at itself."""
    import pytest

    from course_utils.checks import check_rnn_forward

    def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
        raise NotImplementedError()

    def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
        return rnn_cell_forward(x[:, 0], h0, kernel, recurrent_kernel, bias)

    with pytest.raises(AssertionError, match=flex("rnn_forward calls rnn_cell_forward, which is not implemented yet")):
        check_rnn_forward(rnn_forward)


def test_compare_handles_scalars():
    """A checker may compare a single number (e.g. a global norm)."""
    import pytest

    from course_utils.checks._core import compare, matches

    assert matches(2.0, 2.0 + 1e-9)
    assert not matches(2.0, 3.0)
    compare("global_norm", 13.0, 13.0)
    with pytest.raises(AssertionError, match=flex(r"expected 13, got 12")):
        compare("global_norm", 12.0, 13.0)
