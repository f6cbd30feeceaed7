"""Checkers for the GRU forward exercises of 03_gru.

``check_gru_cell_forward(fn)`` and ``check_gru_forward(fn)`` compare a student's
function with the reference ``course_utils.gru`` for BOTH formulations,
``reset_after=True`` (Keras's default, bias of shape (2, 3*units)) and
``reset_after=False`` (bias of shape (3*units,)), and name the known mistake(s)
(CONTRIBUTING.md, "Misconception ids") that a wrong answer reproduces, in this
lesson's words: which block (z, r, h~) of which matrix, which of the two bias
rows, which gate's activation. Every message says which ``reset_after`` failed,
so a function that ignores the flag is told so.
"""
from course_utils import gru

from ._core import Precomputed, checker
from ._probes import Output, cell_probes, check_probes, diagnosis, lesson_mistakes
from .variants import GRU_CELL_VARIANTS, GRU_SEQUENCE_VARIANTS

__all__ = ["check_gru_cell_forward", "check_gru_forward"]

_STEP_SPECS = {
    "visible": [
        dict(batch=2, input_dim=3, units=3, seed=31),
        dict(batch=2, input_dim=2, units=3, seed=32),
        dict(batch=2, input_dim=2, units=3, seed=33, large=True),
    ],
    "hidden": [
        dict(batch=3, input_dim=4, units=4, seed=301),
        dict(batch=1, input_dim=3, units=1, seed=302),
        dict(batch=4, input_dim=1, units=5, seed=303, zero_state=True),
        dict(batch=2, input_dim=5, units=2, seed=304),
        dict(batch=2, input_dim=3, units=4, seed=305, large=True),
    ],
}
_SEQUENCE_SPECS = {
    "visible": [
        dict(batch=2, T=4, input_dim=3, units=3, seed=41),
        dict(batch=2, T=3, input_dim=2, units=3, seed=42),
        dict(batch=2, T=3, input_dim=2, units=3, seed=43, large=True),
        dict(batch=3, T=1, input_dim=2, units=2, seed=44, zero_state=True),
    ],
    "hidden": [
        dict(batch=3, T=5, input_dim=4, units=4, seed=401),
        dict(batch=1, T=1, input_dim=3, units=1, seed=402),
        dict(batch=1, T=6, input_dim=1, units=2, seed=403),
        dict(batch=4, T=3, input_dim=5, units=2, seed=404, zero_state=True),
        dict(batch=2, T=4, input_dim=3, units=4, seed=405, large=True),
    ],
}


# This lesson's words for the ids its variants carry: (explanation, reread).
WORDS = {
    "MISSING-BIAS": (
        "A bias was left out; with reset_after=True the GRU has two bias rows, bias[0] added "
        "with x_t @ kernel and bias[1] with h_prev @ recurrent_kernel (for the candidate inside "
        "the reset: r * (h_prev @ U_h + bias[1] block h~)); with reset_after=False one row. "
        "Add every block of each row to its gate's pre-activation.",
        "03_gru, 'reset_after: where the reset gate acts'"),
    "WRONG-ACTIVATION": (
        "An activation is swapped; the gates z and r use the sigmoid (values in 0..1), the "
        "candidate h~ uses tanh (values in -1..1).",
        "03_gru, 'The GRU at a glance'"),
    "TRANSPOSED-WEIGHTS": (
        "A weight block was used transposed; each gate's block is a slice of columns, "
        "W_z = kernel[:, :units], U_h = recurrent_kernel[:, 2*units:], used as x_t @ W_z and "
        "h_prev @ U_h without .T.",
        "03_gru, 'Exercise 1: one GRU step'"),
}


def _probes(mode, specs, *, sequence, reference, variants):
    """Probes for reset_after=True (Keras's default) first, then reset_after=False."""
    probes = []
    for reset_after in (True, False):
        probes += cell_probes("gru", mode, specs, sequence=sequence, reference=reference,
                              variants=lesson_mistakes(variants[reset_after], WORDS),
                              reset_after=reset_after, start=len(probes) + 1)
    return probes


# Computed at import time, before student code runs (see Precomputed).
_STEP_PROBES = Precomputed(lambda: {
    mode: _probes(mode, specs, sequence=False, reference=gru.gru_cell_forward,
                  variants=GRU_CELL_VARIANTS)
    for mode, specs in _STEP_SPECS.items()})
_SEQUENCE_PROBES = Precomputed(lambda: {
    mode: _probes(mode, specs, sequence=True, reference=gru.gru_forward,
                  variants=GRU_SEQUENCE_VARIANTS)
    for mode, specs in _SEQUENCE_SPECS.items()})
_STEP_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("gru", probes, gru.gru_cell_forward)
    for mode, probes in _STEP_PROBES.items()})
_SEQUENCE_DIAGNOSIS = Precomputed(lambda: {
    mode: diagnosis("gru", probes, gru.gru_forward, step=gru.gru_cell_forward,
                    state_names=("h0",))
    for mode, probes in _SEQUENCE_PROBES.items()})


@checker
def check_gru_cell_forward(fn, *, hidden=False):
    """Check ``fn(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after) -> h_next (batch, units)``."""
    mode = "hidden" if hidden else "visible"
    probes = _STEP_PROBES[mode]
    check_probes(fn, "gru_cell_forward", probes, [Output("h_next", ("batch", "units"))],
                 f"h_next is right on {len(probes)} {mode} cases "
                 "(reset_after=True and False, input_dim = units and != units, saturated gates).",
                 diag=_STEP_DIAGNOSIS[mode])


@checker
def check_gru_forward(fn, *, hidden=False):
    """Check ``fn(x, h0, kernel, recurrent_kernel, bias, reset_after) -> h_seq (batch, T, units)``."""
    mode = "hidden" if hidden else "visible"
    probes = _SEQUENCE_PROBES[mode]
    check_probes(fn, "gru_forward", probes, [Output("h_seq", ("batch", "T", "units"))],
                 f"h_seq is right on {len(probes)} {mode} cases "
                 "(reset_after=True and False, T=1 and longer, saturated gates).",
                 cell_name="gru_cell_forward", cell_probe=_STEP_PROBES[mode][0],
                 diag=_SEQUENCE_DIAGNOSIS[mode])
