"""Checkers for the LSTM forward exercises of 04_lstm.

``check_lstm_cell_forward(fn)`` and ``check_lstm_forward(fn)`` compare both
outputs of a student's function, the state h and the cell state c, with the
reference ``course_utils.lstm`` and name the known mistake(s) (CONTRIBUTING.md,
"Misconception ids") that a wrong answer reproduces, in this lesson's words
(which gate's block, which activation). A mistake is recognised only when BOTH
outputs equal that mistake's outputs.
"""
from course_utils import lstm

from ._core import Precomputed, checker
from ._probes import Output, cell_probes, check_probes, diagnosis, lesson_mistakes
from .variants import LSTM_CELL_VARIANTS, LSTM_SEQUENCE_VARIANTS

__all__ = ["check_lstm_cell_forward", "check_lstm_forward"]

_STEP_SPECS = {
    "visible": [
        dict(batch=2, input_dim=3, units=3, seed=51),
        dict(batch=2, input_dim=2, units=3, seed=52),
        dict(batch=2, input_dim=2, units=3, seed=53, large=True),
    ],
    "hidden": [
        dict(batch=3, input_dim=4, units=4, seed=501),
        dict(batch=1, input_dim=3, units=1, seed=502),
        dict(batch=4, input_dim=1, units=5, seed=503, zero_state=True),
        dict(batch=2, input_dim=5, units=2, seed=504),
        dict(batch=2, input_dim=3, units=4, seed=505, large=True),
    ],
}
_SEQUENCE_SPECS = {
    "visible": [
        dict(batch=2, T=4, input_dim=3, units=3, seed=61),
        dict(batch=2, T=3, input_dim=2, units=3, seed=62),
        dict(batch=2, T=3, input_dim=2, units=3, seed=63, large=True),
        dict(batch=3, T=1, input_dim=2, units=2, seed=64, zero_state=True),
    ],
    "hidden": [
        dict(batch=3, T=5, input_dim=4, units=4, seed=601),
        dict(batch=1, T=1, input_dim=3, units=1, seed=602),
        dict(batch=1, T=6, input_dim=1, units=2, seed=603),
        dict(batch=4, T=3, input_dim=5, units=2, seed=604, zero_state=True),
        dict(batch=2, T=4, input_dim=3, units=4, seed=605, large=True),
    ],
}

# This lesson's words for the ids its variants carry: (explanation, reread).
WORDS = {
    "MISSING-BIAS": (
        "The bias was left out; the LSTM adds its one bias (4*units,) to x_t @ kernel + "
        "h_prev @ recurrent_kernel before splitting the four blocks i, f, c~, o.",
        "04_lstm, 'Keras's weight layout'"),
    "WRONG-ACTIVATION": (
        "An activation is swapped; the gates i, f, o use the sigmoid (values in 0..1), the "
        "candidate c~ and the output h = o * tanh(c) use tanh.",
        "04_lstm, 'The input gate and the candidate'"),
    "TRANSPOSED-WEIGHTS": (
        "A weight block was used transposed; each gate's block is a slice of columns, "
        "W_i = kernel[:, :units], U_o = recurrent_kernel[:, 3*units:], used without .T.",
        "04_lstm, 'Keras's weight layout'"),
}
_CELL_MISTAKES = lesson_mistakes(LSTM_CELL_VARIANTS, WORDS)
_SEQUENCE_MISTAKES = lesson_mistakes(LSTM_SEQUENCE_VARIANTS, WORDS)

# Computed at import time, before student code runs (see Precomputed).
_STEP_PROBES = Precomputed(lambda: {
    mode: cell_probes("lstm", mode, specs, sequence=False, reference=lstm.lstm_cell_forward,
                      variants=_CELL_MISTAKES)
    for mode, specs in _STEP_SPECS.items()})
_SEQUENCE_PROBES = Precomputed(lambda: {
    mode: cell_probes("lstm", mode, specs, sequence=True, reference=lstm.lstm_forward,
                      variants=_SEQUENCE_MISTAKES)
    for mode, specs in _SEQUENCE_SPECS.items()})
_STEP_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("lstm", probes, lstm.lstm_cell_forward)
    for mode, probes in _STEP_PROBES.items()})
_SEQUENCE_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("lstm", probes, lstm.lstm_forward, step=lstm.lstm_cell_forward,
                    state_names=("h0", "c0"))
    for mode, probes in _SEQUENCE_PROBES.items()})


@checker
def check_lstm_cell_forward(fn, *, hidden=False):
    """Check ``fn(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h_next, c_next)``."""
    mode = "hidden" if hidden else "visible"
    probes = _STEP_PROBES[mode]
    outputs = [Output("h_next", ("batch", "units")), Output("c_next", ("batch", "units"))]
    check_probes(fn, "lstm_cell_forward", probes, outputs,
                 f"h_next and c_next are right on {len(probes)} {mode} cases "
                 "(input_dim = units and != units, saturated gates).",
                 diag=_STEP_DIAGNOSIS[mode])


@checker
def check_lstm_forward(fn, *, hidden=False):
    """Check ``fn(x, h0, c0, kernel, recurrent_kernel, bias) -> (h_seq, c_seq)``, each (batch, T, units)."""
    mode = "hidden" if hidden else "visible"
    probes = _SEQUENCE_PROBES[mode]
    outputs = [Output("h_seq", ("batch", "T", "units")), Output("c_seq", ("batch", "T", "units"))]
    check_probes(fn, "lstm_forward", probes, outputs,
                 f"h_seq and c_seq are right on {len(probes)} {mode} cases "
                 "(T=1 and longer, zero and non-zero h0 and c0, saturated gates).",
                 cell_name="lstm_cell_forward", cell_probe=_STEP_PROBES[mode][0],
                 diag=_SEQUENCE_DIAGNOSIS[mode])
