"""Checker for the 01_simple_rnn exercise ``predict_last_step`` (many-to-one).

The student runs a SimpleRNN over a batch of sequences and turns the FINAL
state into one probability per sequence::

    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)   # (batch, T, units)
    p     = sigmoid(h_seq[:, -1] @ dense_kernel + dense_bias)     # (batch, 1)

The checker compares with that reference (``course_utils.simple_rnn`` and
``course_utils.activations``), computed when this module is imported. On a mismatch it names the known mistakes whose
output the student's output reproduces on the same probe, each by its registered
id (``misconceptions.py``, CONTRIBUTING.md section "Misconception ids"): reading the
mean of all states, the first state or ``h0``; forgetting the sigmoid, using tanh or a
softmax instead; dropping the dense bias; predicting at every step; squeezing the
output to shape (batch,); and the mistakes inside the RNN loop (a hand-written loop
that does not carry the state, or drops the RNN's bias).
"""
import numpy as np

from .. import simple_rnn
from ..activations import sigmoid
from ._core import Mistake, call_student, checker, compare, found_mistakes, passed, to_array

__all__ = ["check_predict_last_step"]

_NAME = "predict_last_step"
_WHAT = "predict_last_step's probabilities"

# The known mistakes, with the words of this exercise where the registry's are general.
_MEAN = Mistake("MANY-TO-ONE-MEAN-STATE", "the mean of all states, h_seq.mean(axis=1)")
_FIRST = Mistake("MANY-TO-ONE-FIRST-STATE", "the first state, h_seq[:, 0]")
_H0 = Mistake("MANY-TO-ONE-READS-H0", "h0 fed to the dense layer")
_NO_SIGMOID = Mistake("PROBABILITY-NO-SIGMOID", "no sigmoid (the logits)")
_TANH = Mistake("PROBABILITY-TANH", "tanh instead of the sigmoid")
_SOFTMAX = Mistake("PROBABILITY-SOFTMAX-ONE-UNIT", "a softmax over the single output")
_NO_DENSE_BIAS = Mistake(
    "MISSING-BIAS", "dense_bias left out",
    explanation="dense_bias is missing: add it after the matrix product, "
                "h_T @ dense_kernel + dense_bias.",
    reread="01_simple_rnn, 'Many-to-one: read the last step'")
_EVERY_STEP = Mistake("MANY-TO-ONE-EVERY-STEP", "a prediction at every step")
_SQUEEZED = Mistake("OUTPUT-SQUEEZED", "the output squeezed to shape (batch,)")
_NOT_CARRIED = Mistake(
    "STATE-NOT-CARRIED", "h0 fed to every step of the RNN loop",
    explanation="Every step of your RNN loop was fed h0 instead of the previous step's state; "
                "inside the loop, pass the state you just computed to the next step (or call "
                "your rnn_forward).")
_NO_RNN_BIAS = Mistake(
    "MISSING-BIAS", "the RNN's bias left out",
    explanation="The SimpleRNN's bias is missing from the loop: every step computes "
                "tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).",
    reread="01_simple_rnn, 'The state update'")

# (batch, T, input_dim, units, h0 is zero, dtype). Visible cases are small, with
# one-decimal numbers; hidden ones add batch 1, T=1, one unit, input_dim != units, a square
# case, non-zero initial states and float32 inputs.
_VISIBLE = [(2, 3, 2, 3, True, np.float64), (3, 5, 4, 2, True, np.float64)]
_HIDDEN = [(1, 1, 3, 2, False, np.float64), (4, 6, 2, 5, False, np.float64),
           (2, 4, 1, 1, False, np.float64), (3, 7, 4, 4, False, np.float64),
           (5, 3, 6, 3, False, np.float32)]


def _case(seed, batch, steps, input_dim, units, zero_h0, dtype, decimals=None):
    """Random inputs for one probe; weights large enough that the variants differ clearly.

    ``decimals=1`` rounds every input to one decimal, so a visible case can be read by eye.
    """
    rng = np.random.default_rng(seed)
    arrays = {
        "x": rng.normal(size=(batch, steps, input_dim)),
        "h0": (np.zeros((batch, units)) if zero_h0
               else rng.uniform(-0.9, 0.9, size=(batch, units))),
        "kernel": rng.uniform(-1.0, 1.0, size=(input_dim, units)),
        "recurrent_kernel": rng.uniform(-1.0, 1.0, size=(units, units)),
        "bias": rng.uniform(-0.5, 0.5, size=(units,)),
        "dense_kernel": rng.uniform(-1.5, 1.5, size=(units, 1)),
        "dense_bias": rng.uniform(0.3, 0.8, size=(1,)),  # never ~0, so "no bias" shows
    }
    if decimals is not None:
        arrays = {name: np.round(value, decimals) for name, value in arrays.items()}
    return {name: value.astype(dtype) for name, value in arrays.items()}


def _cases(hidden):
    if hidden:
        return [_case(1000 + i, *shape) for i, shape in enumerate(_HIDDEN)]
    return [_case(i, *shape, decimals=1) for i, shape in enumerate(_VISIBLE)]


def _context(case):
    batch, steps, input_dim = case["x"].shape
    units = case["h0"].shape[1]
    h0 = "zeros" if not case["h0"].any() else "non-zero"
    return f"batch={batch}, T={steps}, input_dim={input_dim}, units={units}, h0 {h0}"


def reference_predict_last_step(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias):
    """The correct answer, in float64: sigmoid of the dense layer on the last state, (batch, 1)."""
    h_seq = simple_rnn.rnn_forward(*(np.asarray(a, dtype=np.float64)
                                     for a in (x, h0, kernel, recurrent_kernel, bias)))
    return sigmoid(h_seq[:, -1] @ dense_kernel + dense_bias)


def _wrong_outputs(case):
    """``[(Mistake, output)]``: what each known mistake returns on ``case``."""
    c = {name: np.asarray(value, dtype=np.float64) for name, value in case.items()}
    h_seq = simple_rnn.rnn_forward(c["x"], c["h0"], c["kernel"], c["recurrent_kernel"], c["bias"])
    last = h_seq[:, -1]

    def read(state):
        return state @ c["dense_kernel"] + c["dense_bias"]

    # A hand-written loop that restarts from h0 at every step: the last state is one step from h0.
    not_carried = np.tanh(c["x"][:, -1] @ c["kernel"] + c["h0"] @ c["recurrent_kernel"] + c["bias"])
    no_rnn_bias = simple_rnn.rnn_forward(c["x"], c["h0"], c["kernel"], c["recurrent_kernel"],
                                         np.zeros_like(c["bias"]))[:, -1]
    return [
        (_NOT_CARRIED, sigmoid(read(not_carried))),
        (_NO_RNN_BIAS, sigmoid(read(no_rnn_bias))),
        (_MEAN, sigmoid(read(h_seq.mean(axis=1)))),
        (_FIRST, sigmoid(read(h_seq[:, 0]))),
        (_H0, sigmoid(read(c["h0"]))),
        (_NO_SIGMOID, read(last)),
        (_TANH, np.tanh(read(last))),
        (_SOFTMAX, np.ones_like(read(last))),
        (_NO_DENSE_BIAS, sigmoid(last @ c["dense_kernel"])),
        (_EVERY_STEP, sigmoid(read(h_seq))),
        (_SQUEEZED, sigmoid(read(last))[:, 0]),
    ]


def _probe(case):
    """A case with its right answer and the outputs of the known mistakes."""
    return case, reference_predict_last_step(**case), _wrong_outputs(case)


# Computed once, when the checker is imported (the notebook's first cell), before any
# student code runs: a student cell that later reassigns np.tanh or np.abs cannot
# change the answers that we compare with.
_PROBES = {hidden: [_probe(case) for case in _cases(hidden)] for hidden in (False, True)}


def _check_probe(fn, case, expected, mistakes):
    got = to_array(call_student(fn, *case.values(), name=_NAME), _WHAT)
    try:
        compare(_WHAT, got, expected, context=_context(case), mistakes=mistakes)
    except AssertionError as err:
        # No known mistake, but values no probability can take: the sigmoid got lost somewhere.
        if (not found_mistakes(got, mistakes, expected=expected)
                and got.shape == expected.shape and ((got < 0) | (got > 1)).any()):
            raise AssertionError(
                f"{err}\nSome values are outside [0, 1], so they cannot be probabilities.\n"
                + Mistake("PROBABILITY-NO-SIGMOID").describe()) from None
        raise


@checker
def check_predict_last_step(fn, *, hidden=False):
    """Check ``predict_last_step(x, h0, kernel, recurrent_kernel, bias, dense_kernel, dense_bias)``."""
    probes = _PROBES[bool(hidden)]
    for probe in probes:
        _check_probe(fn, *probe)
    if hidden:
        passed(f"{_NAME} matches the reference on {len(probes)} random cases (batch 1, T=1, one "
               "unit, input_dim != units, non-zero h0, float32).")
    else:
        passed(f"{_NAME} returns (batch, 1) probabilities read from the last state "
               f"({len(probes)} small cases).")
