"""Checker for the 01_simple_rnn exercise ``predict_last_step`` (many-to-one).

The student runs a SimpleRNN over a batch of sequences and turns the FINAL
state into one probability per sequence::

    h_seq = rnn_forward(x, h0, kernel, recurrent_kernel, bias)   # (batch, T, units)
    p     = sigmoid(h_seq[:, -1] @ dense_kernel + dense_bias)     # (batch, 1)

The checker compares with that reference (``course_utils.simple_rnn`` and
``course_utils.activations``), computed when this module is imported. On a mismatch it names the known mistakes whose
output the student's output reproduces on the same probe: reading the mean of
all states, the first state or ``h0``; forgetting the sigmoid, using tanh or a
softmax instead; dropping the dense bias; predicting at every step; squeezing
the output to shape (batch,). Those mistakes are outside COURSE.md section 4,
so they are explained in a sentence without an id. Mistakes inside the RNN
loop (a hand-written loop that does not carry the state, or drops the bias)
get their registry ids.
"""
import numpy as np

from .. import simple_rnn
from ..activations import sigmoid
from ._core import checker
from ._core import Mistake, call_student, compare, matches, passed, to_array

__all__ = ["check_predict_last_step"]

_NAME = "predict_last_step"
_WHAT = "predict_last_step's probabilities"
_REREAD = "(Reread: 01_simple_rnn, 'Many-to-one: read the last step'.)"
_DIAGNOSE_ATOL = 1e-4

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
    """``(registry_variants, sentence_variants)``: what each known mistake returns on ``case``."""
    c = {name: np.asarray(value, dtype=np.float64) for name, value in case.items()}
    h_seq = simple_rnn.rnn_forward(c["x"], c["h0"], c["kernel"], c["recurrent_kernel"], c["bias"])
    last = h_seq[:, -1]

    def read(state):
        return state @ c["dense_kernel"] + c["dense_bias"]

    # A hand-written loop that restarts from h0 at every step: the last state is one step from h0.
    not_carried = np.tanh(c["x"][:, -1] @ c["kernel"] + c["h0"] @ c["recurrent_kernel"] + c["bias"])
    no_rnn_bias = simple_rnn.rnn_forward(c["x"], c["h0"], c["kernel"], c["recurrent_kernel"],
                                         np.zeros_like(c["bias"]))[:, -1]
    registry = {
        "STATE-NOT-CARRIED": sigmoid(read(not_carried)),
        "MISSING-BIAS": sigmoid(read(no_rnn_bias)),
    }
    sentences = {
        "It looks like you averaged the states of all steps (h_seq.mean(axis=1)). A many-to-one "
        "model reads only the final state h_seq[:, -1], the one that has read the whole "
        f"sequence. {_REREAD}": sigmoid(read(h_seq.mean(axis=1))),
        "It looks like you used the state after the FIRST step (h_seq[:, 0]). Index -1 gives the "
        f"last step: h_seq[:, -1]. {_REREAD}": sigmoid(read(h_seq[:, 0])),
        "It looks like you fed the initial state h0 to the dense layer. Run the RNN over the "
        f"sequence first and use the state after the last step, h_seq[:, -1]. {_REREAD}":
            sigmoid(read(c["h0"])),
        "These are logits, not probabilities: apply sigmoid to h_T @ dense_kernel + dense_bias "
        "so that every value lies between 0 and 1.": read(last),
        "It looks like you squashed with tanh; a probability needs the sigmoid (values in 0..1), "
        "tanh gives values in -1..1.": np.tanh(read(last)),
        "Every probability is 1.0: that is what a softmax over a single output gives. For one "
        "yes/no output use the sigmoid.": np.ones_like(read(last)),
        "dense_bias seems to be missing: add it after the matrix product, "
        "h_T @ dense_kernel + dense_bias.": sigmoid(last @ c["dense_kernel"]),
        "It looks like you made a prediction at every step (shape (batch, T, 1)). Many-to-one "
        "returns one prediction per sequence, from the last step only: shape (batch, 1). "
        f"{_REREAD}": sigmoid(read(h_seq)),
        "The values are right but the shape is (batch,): keep the last axis and return shape "
        "(batch, 1), as keras.layers.Dense(1) does (do not squeeze or flatten).":
            sigmoid(read(last))[:, 0],
    }
    return registry, sentences


def _probe(case):
    """A case with its right answer and the outputs of the known mistakes."""
    registry, sentences = _wrong_outputs(case)
    return case, reference_predict_last_step(**case), registry, sentences


# Computed once, when the checker is imported (the notebook's first cell), before any
# student code runs: a student cell that later reassigns np.tanh or np.abs cannot
# change the answers that we compare with.
_PROBES = {hidden: [_probe(case) for case in _cases(hidden)] for hidden in (False, True)}


def _check_probe(fn, case, expected, registry, sentences):
    got = to_array(call_student(fn, *case.values(), name=_NAME), _WHAT)
    try:
        compare(_WHAT, got, expected, context=_context(case),
                mistakes=[(Mistake(k), v) for k, v in registry.items()])
    except AssertionError as err:
        hints = [sentence for sentence, output in sentences.items()
                 if matches(got, output, _DIAGNOSE_ATOL)]
        if not hints and got.shape == expected.shape and ((got < 0) | (got > 1)).any():
            hints = ["Some values are outside [0, 1], so they cannot be probabilities: "
                     "did the sigmoid get lost?"]
        if hints:
            raise AssertionError("\n".join([str(err)] + hints)) from None
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
