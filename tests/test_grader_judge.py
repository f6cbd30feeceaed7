"""The judge's parts that need no kernel: reading test cells, the wire codec, rebuilding
Keras models safely, and exceptions carried over from the kernel."""
import json

import numpy as np
import pytest

from course_utils.checks._core import RemoteError, StudentCodeError, call_student
from grader.judge import judge_agent
from grader.judge.judge import (
    CheckCall,
    UnjudgeableModel,
    parse_test_cell,
    rebuild_keras_model,
    remote_exception,
)

# ------------------------------------------------------------------ test cells

def test_a_course_test_cell_is_read_as_checker_calls():
    source = ('"""Check rnn_forward on small cases."""\n# Hidden tests run at grading time\n'
              "### BEGIN HIDDEN TESTS\ncheck_rnn_forward(rnn_forward, hidden=True)\n"
              "### END HIDDEN TESTS\n")
    assert parse_test_cell(source) == [CheckCall("check_rnn_forward", [("name", "rnn_forward")],
                                                 {"hidden": True})]


@pytest.mark.parametrize("source", [
    "assert square(2) == 4",                          # a plain assert: not a checker call
    "check_square(square)\nprint('done')",            # anything besides checker calls
    "check_square(lambda x: x * x)",                  # an argument that is not a name
    "check_square(square, **options)",                # keywords that are not constants
    "def check_square(f): pass",
    "check_square(square",                            # a syntax error
])
def test_anything_else_is_not_judged(source):
    assert parse_test_cell(source) is None


# ------------------------------------------------------------------ codec

def _round_trip(value, keras_model=None):
    arrays = []
    text = judge_agent.pack({"value": judge_agent.encode(value, arrays)}, arrays)
    document, arrays = judge_agent.unpack(text)
    return judge_agent.decode(document["value"], arrays, keras_model=keras_model)


def test_plain_data_survives_the_trip_with_its_types():
    value = {"dW": np.arange(6, dtype=np.float32).reshape(2, 3), "count": np.int64(7), "n": 3,
             "name": "x", "flags": [True, None], "pair": (1.5, float("nan")), (1, 2): "tuple key",
             "big": 2**70}
    back = _round_trip(value)
    assert back["dW"].dtype == np.float32 and np.array_equal(back["dW"], value["dW"])
    assert type(back["count"]) is np.int64 and back["count"] == 7
    assert back["n"] == 3 and back["name"] == "x" and back["flags"] == [True, None]
    assert isinstance(back["pair"], tuple) and np.isnan(back["pair"][1])
    assert back[(1, 2)] == "tuple key" and back["big"] == 2**70


def test_a_random_generator_continues_its_stream():
    rng = np.random.default_rng(5)
    rng.random(3)
    copy = _round_trip(rng)
    assert np.array_equal(copy.random(4), rng.random(4))


def test_objects_that_are_not_data_are_described_not_sent():
    back = _round_trip((x for x in range(3)))
    assert isinstance(back, judge_agent.Opaque) and back.type_name == "generator"
    assert isinstance(_round_trip(np.array([object()])), judge_agent.Opaque)


def test_pickled_arrays_are_refused():
    import base64
    import io

    buffer = io.BytesIO()
    np.savez(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    text = json.dumps({"doc": {"value": {"__nd__": 0}},
                       "blob": base64.b64encode(buffer.getvalue()).decode()})
    with pytest.raises(ValueError):
        judge_agent.unpack(text)


# ------------------------------------------------------------------ Keras models


def test_a_model_is_rebuilt_with_its_weights(keras):
    model = keras.Sequential([keras.Input((None, 3)), keras.layers.GRU(4),
                              keras.layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    rebuilt = _round_trip(model, keras_model=rebuild_keras_model)
    assert isinstance(rebuilt, keras.Model) and rebuilt is not model
    assert np.allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_a_model_with_python_code_inside_is_not_run(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)])
    rebuilt = _round_trip(model, keras_model=rebuild_keras_model)
    assert isinstance(rebuilt, UnjudgeableModel) and "Lambda" in rebuilt.reason


def test_a_config_naming_another_module_is_refused(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    config = json.loads(model.to_json())
    config["config"]["layers"][-1]["module"] = "os"
    config["config"]["layers"][-1]["class_name"] = "system"
    rebuilt = rebuild_keras_model(json.dumps(config), model.get_weights())
    assert isinstance(rebuilt, UnjudgeableModel) and "os.system" in rebuilt.reason


# ------------------------------------------------------------------ exceptions from the kernel

def test_a_kernel_exception_keeps_its_builtin_type_and_place():
    err = remote_exception({"type": "ValueError", "bases": ["ValueError", "Exception"],
                            "message": "shapes (2,3) and (4,) not aligned",
                            "innermost": "rnn_cell_forward", "line": " (line 3 of rnn_cell_forward)"})
    assert isinstance(err, ValueError) and isinstance(err, RemoteError)
    assert str(err) == "shapes (2,3) and (4,) not aligned"


class _Remote:
    """Stands in for the judge's proxy: raises what the kernel raised."""

    __name__ = "rnn_forward"

    def __init__(self, info):
        self.info = info

    def __remote_call__(self, args, kwargs, repeat=None):
        raise remote_exception(self.info)


def test_call_student_words_a_kernel_failure_like_a_local_one():
    fn = _Remote({"type": "IndexError", "bases": ["IndexError", "LookupError", "Exception"],
                  "message": "index 4 is out of bounds", "innermost": "rnn_forward",
                  "line": " (line 5 of rnn_forward)"})
    with pytest.raises(StudentCodeError, match=r"rnn_forward raised IndexError: index 4 is out of "
                                               r"bounds \(line 5 of rnn_forward\)"):
        call_student(fn, np.zeros(2))


def test_call_student_names_the_unfinished_function_a_remote_answer_calls():
    fn = _Remote({"type": "NotImplementedError", "bases": ["NotImplementedError", "RuntimeError",
                                                            "Exception"],
                  "message": "", "innermost": "rnn_cell_forward", "line": ""})
    with pytest.raises(StudentCodeError, match="rnn_forward calls rnn_cell_forward, which is not "
                                               "implemented yet"):
        call_student(fn)


def test_repeated_calls_share_one_generator_and_copy_the_rest():
    seen = []

    def draw(probs, rng):
        seen.append(probs)
        return int(rng.integers(0, 1000))

    probs, rng = np.array([0.5, 0.5]), np.random.default_rng(1)
    draws = call_student(draw, probs, rng, repeat=5)
    assert draws == list(np.random.default_rng(1).integers(0, 1000, size=5))
    assert len(seen) == 5 and all(p is not probs for p in seen)


def test_a_function_that_writes_into_its_input_is_told_which_and_changes_nothing():
    def draw(probs, rng):
        probs[0] = -1.0
        return 0

    probs = np.array([0.5, 0.5])
    with pytest.raises(StudentCodeError, match="MODIFIES-INPUTS") as info:
        call_student(draw, probs, np.random.default_rng(1), repeat=3)
    assert "changed its argument probs in place" in str(info.value).replace("\n", " ")
    assert probs[0] == 0.5


def test_the_kernel_agent_reports_an_argument_written_into(monkeypatch):
    def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
        h_next = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
        h_prev[...] = 0
        return h_next

    replies = []
    monkeypatch.setattr(judge_agent, "_namespace", lambda: {"rnn_cell_forward": rnn_cell_forward})
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw: replies.append(judge_agent.unpack(data[judge_agent.MIME])))
    args = (np.ones((1, 2)), np.ones((1, 3)), np.ones((2, 3)), np.ones((3, 3)), np.zeros(3))
    arrays = []
    request = {"op": "call", "name": "rnn_cell_forward", "repeat": None, "trace": [],
               "args": judge_agent.encode(args, arrays), "kwargs": judge_agent.encode({}, arrays)}
    judge_agent.handle(judge_agent.pack(request, arrays))
    (reply, _), = replies
    assert reply["modified"] == ["h_prev"] and "value" in reply
