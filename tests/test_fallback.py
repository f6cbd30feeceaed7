"""course_utils.fallback: a later cell gets your answer when it works, the course's otherwise."""
import numpy as np
import pytest

from course_utils import fallback
from course_utils.fallback import course_version, yours_or_course


@pytest.fixture(autouse=True)
def fresh_announcements():
    fallback._announced.clear()
    yield
    fallback._announced.clear()


def _args():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(2, 3, 2)), np.zeros((2, 4)), rng.normal(size=(2, 4)),
            rng.normal(size=(4, 4)), rng.normal(size=4))


def test_a_working_answer_is_used_silently(capsys):
    def rnn_forward(*args):
        return course_version("rnn_forward")(*args) + 1e-6
    got = yours_or_course("rnn_forward", {"rnn_forward": rnn_forward}, *_args())
    assert np.array_equal(got, rnn_forward(*_args()))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("error", [NotImplementedError, ValueError, KeyError, ZeroDivisionError])
def test_any_exception_falls_back_with_one_line(capsys, error):
    def rnn_forward(*args):
        raise error("boom")
    got = yours_or_course("rnn_forward", {"rnn_forward": rnn_forward}, *_args())
    assert np.allclose(got, course_version("rnn_forward")(*_args()))
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "rnn_forward" in out


def test_missing_and_wrong_answers_fall_back(capsys):
    want = course_version("rnn_forward")(*_args())
    assert np.allclose(yours_or_course("rnn_forward", {}, *_args()), want)
    wrong = {"rnn_forward": lambda *args: want[:, -1]}     # returns the last state only
    assert np.allclose(yours_or_course("rnn_forward", wrong, *_args()), want)


def test_nested_results_are_compared_entry_by_entry(capsys):
    grads = [np.full((2, 3), 5.0), np.full(4, 5.0)]
    wrong = {"clip_by_global_norm": lambda g, c: ([a * 0 for a in g], 3.0)}
    clipped, norm = yours_or_course("clip_by_global_norm", wrong, grads, 1.0)
    assert norm == pytest.approx(np.sqrt(10 * 25))
    assert "other values" in capsys.readouterr().out
    backward = course_version("rnn_backward")
    dh_seq = np.ones((2, 3, 4))
    right = {"rnn_backward": backward}
    got = yours_or_course("rnn_backward", right, dh_seq, *_args())
    assert set(got) == {"dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"}


def test_one_line_per_exercise_however_often_it_is_called(capsys):
    for _ in range(5):
        yours_or_course("rnn_forward", {}, *_args())
    assert capsys.readouterr().out.count("\n") == 1


def test_every_course_version_can_be_imported():
    for name in fallback.COURSE_VERSIONS:
        assert callable(course_version(name)), name
