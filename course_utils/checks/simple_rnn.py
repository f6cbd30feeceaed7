"""Checkers for the SimpleRNN forward exercises of 01_simple_rnn.

``check_rnn_cell_forward(fn)`` and ``check_rnn_forward(fn)`` compare a student's
function with the reference ``course_utils.simple_rnn`` on probe inputs and
name the known mistake(s) (CONTRIBUTING.md, "Misconception ids") that a wrong
answer reproduces, in this lesson's words (one bias, one tanh); a wrong answer
no known mistake explains is localised (which of kernel, recurrent_kernel, bias;
which link between steps).
Visible mode uses small hand-sized numbers; ``hidden=True`` uses random
weights and odd shapes. The first probe of each mode has input_dim == units,
so transposed weights still run and can be recognised.
"""
from course_utils import simple_rnn

from ._core import Precomputed, checker
from ._probes import Output, cell_probes, check_probes, diagnosis, lesson_mistakes
from .variants import RNN_CELL_VARIANTS, RNN_SEQUENCE_VARIANTS

__all__ = ["check_rnn_cell_forward", "check_rnn_forward"]

_STEP_SPECS = {
    "visible": [
        dict(batch=2, input_dim=3, units=3, seed=11),
        dict(batch=2, input_dim=2, units=3, seed=12),
        dict(batch=3, input_dim=4, units=2, seed=13, zero_state=True),
    ],
    "hidden": [
        dict(batch=3, input_dim=4, units=4, seed=101),
        dict(batch=1, input_dim=3, units=1, seed=102),
        dict(batch=4, input_dim=1, units=5, seed=103, zero_state=True),
        dict(batch=2, input_dim=5, units=2, seed=104),
    ],
}
_SEQUENCE_SPECS = {
    "visible": [
        dict(batch=2, T=4, input_dim=3, units=3, seed=21),
        dict(batch=2, T=3, input_dim=2, units=3, seed=22),
        dict(batch=3, T=1, input_dim=2, units=2, seed=23, zero_state=True),
    ],
    "hidden": [
        dict(batch=3, T=5, input_dim=4, units=4, seed=201),
        dict(batch=1, T=1, input_dim=3, units=1, seed=202),
        dict(batch=1, T=6, input_dim=1, units=2, seed=203),
        dict(batch=4, T=3, input_dim=5, units=2, seed=204, zero_state=True),
    ],
}

# This lesson's words for the ids its variants carry: (explanation, reread).
WORDS = {
    "MISSING-BIAS": (
        "The bias was left out; the SimpleRNN's pre-activation is x_t @ kernel + h_prev @ "
        "recurrent_kernel + bias, with the one bias vector (units,) added to every row.",
        "01_simple_rnn, 'The state update'"),
    "WRONG-ACTIVATION": (
        "The activation is not tanh; a SimpleRNN squashes its pre-activation with np.tanh, "
        "so every state lies in -1..1.",
        "01_simple_rnn, 'The state update'"),
    "TRANSPOSED-WEIGHTS": (
        "A weight matrix was used transposed; with Keras's layout the step computes x_t @ kernel "
        "(input_dim, units) and h_prev @ recurrent_kernel (units, units), without .T.",
        "01_simple_rnn, 'Shapes and the Keras weight layout'"),
}
_CELL_MISTAKES = lesson_mistakes(RNN_CELL_VARIANTS, WORDS)
_SEQUENCE_MISTAKES = lesson_mistakes(RNN_SEQUENCE_VARIANTS, WORDS)

# Computed at import time, before student code runs (see Precomputed).
_STEP_PROBES = Precomputed(lambda: {
    mode: cell_probes("simple_rnn", mode, specs, sequence=False,
                      reference=simple_rnn.rnn_cell_forward, variants=_CELL_MISTAKES)
    for mode, specs in _STEP_SPECS.items()})
_SEQUENCE_PROBES = Precomputed(lambda: {
    mode: cell_probes("simple_rnn", mode, specs, sequence=True,
                      reference=simple_rnn.rnn_forward, variants=_SEQUENCE_MISTAKES)
    for mode, specs in _SEQUENCE_SPECS.items()})
_STEP_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("simple_rnn", probes, simple_rnn.rnn_cell_forward)
    for mode, probes in _STEP_PROBES.items()})
_SEQUENCE_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("simple_rnn", probes, simple_rnn.rnn_forward,
                    step=simple_rnn.rnn_cell_forward, state_names=("h0",))
    for mode, probes in _SEQUENCE_PROBES.items()})


@checker
def check_rnn_cell_forward(fn, *, hidden=False):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias) -> h_next (batch, units)``."""
    mode = "hidden" if hidden else "visible"
    probes = _STEP_PROBES[mode]
    check_probes(fn, "rnn_cell_forward", probes, [Output("h_next", ("batch", "units"))],
                 f"h_next is right on {len(probes)} {mode} cases "
                 "(input_dim = units and != units, zero and non-zero h_prev).",
                 diag=_STEP_DIAGNOSIS[mode])


@checker
def check_rnn_forward(fn, *, hidden=False):
    """Check ``fn(x, h0, kernel, recurrent_kernel, bias) -> h_seq (batch, T, units)``."""
    mode = "hidden" if hidden else "visible"
    probes = _SEQUENCE_PROBES[mode]
    check_probes(fn, "rnn_forward", probes, [Output("h_seq", ("batch", "T", "units"))],
                 f"h_seq is right on {len(probes)} {mode} cases "
                 "(T=1 and longer, input_dim = units and != units, zero and non-zero h0).",
                 cell_name="rnn_cell_forward", cell_probe=_STEP_PROBES[mode][0],
                 diag=_SEQUENCE_DIAGNOSIS[mode])
