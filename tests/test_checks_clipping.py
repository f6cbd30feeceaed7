"""check_clip_by_global_norm (02_vanishing_gradients, Exercise 4) as a student meets it:
right answers in any style pass quietly with one line, each hand-written wrong answer is
named by its registered id, odd returns get plain words."""
import numpy as np
import pytest
from check_helpers import fails_with, flat, passes_quietly

from course_utils import clipping
from course_utils.checks import check_clip_by_global_norm as check
from course_utils.checks.misconceptions import ID_PATTERN

# ---------------------------------------------------------------- right answers

def clip_solution_style(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = clip_norm / max(norm, clip_norm)
    return [g * scale for g in grads], norm


def clip_if_else_tuple(grads, clip_norm):
    """if/else, np.linalg.norm per array, returns a tuple of arrays and a Python float."""
    norm = float(np.sqrt(sum(np.linalg.norm(g) ** 2 for g in grads)))
    if norm > clip_norm:
        return tuple(g * (clip_norm / norm) for g in grads), norm
    return tuple(grads), norm


def clip_concatenate_min(grads, clip_norm):
    """Flatten everything into one vector, min(1, c / norm) with the 0/0 case silenced."""
    flat_ = np.concatenate([g.ravel() for g in grads])
    norm = np.linalg.norm(flat_)
    with np.errstate(divide="ignore"):
        factor = np.minimum(1.0, clip_norm / norm)  # inf when norm == 0: min gives 1
    return [g * factor for g in grads], np.float32(norm)


def clip_in_place(grads, clip_norm):
    """Scales the arrays it was given in place (a list of new arrays is not required)."""
    norm = np.sqrt(sum(float((g**2).sum()) for g in grads))
    if norm > clip_norm:
        grads = [g.copy() for g in grads]
        for g in grads:
            g *= clip_norm / norm
    return grads, norm


RIGHT = [clipping.clip_by_global_norm, clip_solution_style, clip_if_else_tuple,
         clip_concatenate_min, clip_in_place]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_right_answers_pass_quietly(fn, hidden, capsys):
    passes_quietly(check, fn, capsys, hidden)


# ---------------------------------------------------------------- wrong answers -> ids

def _global(grads):
    return float(np.sqrt(sum(float((g**2).sum()) for g in grads)))


def each_separately(grads, clip_norm):
    clipped = [g * min(1.0, clip_norm / max(np.linalg.norm(g), 1e-12)) for g in grads]
    return clipped, _global(grads)


def always_rescales(grads, clip_norm):
    norm = _global(grads)
    return [g * clip_norm / norm if norm > 0 else g for g in grads], norm


def sum_of_norms(grads, clip_norm):
    norm = sum(np.linalg.norm(g) for g in grads)
    return [g * min(1.0, clip_norm / norm) if norm > 0 else g for g in grads], norm


def no_sqrt(grads, clip_norm):
    norm = sum(float((g**2).sum()) for g in grads)
    return [g * min(1.0, clip_norm / norm) if norm > 0 else g for g in grads], norm


def unit_length(grads, clip_norm):
    norm = _global(grads)
    return [g / norm if norm > 0 else g for g in grads], norm


def nothing_clipped(grads, clip_norm):
    return list(grads), _global(grads)


def norm_after(grads, clip_norm):
    norm = _global(grads)
    clipped = [g * min(1.0, clip_norm / norm) if norm > 0 else g for g in grads]
    return clipped, _global(clipped)


WRONG = [
    (each_separately, "CLIP-EACH-SEPARATELY"),
    (always_rescales, "CLIP-ALWAYS-RESCALES"),
    (sum_of_norms, "CLIP-SUM-OF-NORMS"),
    (no_sqrt, "CLIP-NORM-NO-SQRT"),
    (unit_length, "CLIP-TO-UNIT-LENGTH"),
    (nothing_clipped, "CLIP-NOTHING-CLIPPED"),
    (norm_after, "CLIP-NORM-AFTER-CLIPPING"),
]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fn, mid", WRONG, ids=[w[1] for w in WRONG])
def test_each_wrong_answer_is_named_by_its_id(fn, mid, hidden, capfd):
    message = fails_with(check, fn, f"[{mid}]", "returned by clip_by_global_norm", "expected",
                         "got", "(Reread: 02_vanishing_gradients, 'Gradient clipping by global "
                         "norm'.)", hidden=hidden)
    assert set(ID_PATTERN.findall(message)) == {mid}, message
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------- odd returns

@pytest.mark.parametrize("fn, words", [
    (lambda g, c: clipping.clip_by_global_norm(g, c)[0], "expected a pair (clipped, global_norm)"),
    (lambda g, c: (np.concatenate([a.ravel() for a in g]), 1.0), "must be a list of 2 arrays"),
    (lambda g, c: (clipping.clip_by_global_norm(g, c)[0], [1.0, 2.0]), "expected one number"),
    (lambda g, c: None, "did you forget `return`"),
])
def test_odd_returns_get_plain_words(fn, words):
    fails_with(check, fn, words)


def test_stub_is_not_implemented_yet():
    def stub(*args):
        raise NotImplementedError()
    with pytest.raises(AssertionError) as info:
        check(stub, hidden=True)
    assert "is not implemented yet" in flat(info.value)
    assert info.traceback[-1].name == "wrapper"   # no frame of the checker's helpers


def test_reassigning_numpy_functions_does_not_make_a_wrong_answer_pass(monkeypatch):
    for name in ("allclose", "isclose", "array_equal"):
        monkeypatch.setattr(np, name, lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    fails_with(check, each_separately, "[CLIP-EACH-SEPARATELY]", hidden=True)
