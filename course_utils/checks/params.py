"""Checker for the parameter-count exercise of 06_keras_rnns.

``check_rnn_param_count(fn)`` calls the student's
``rnn_param_count(cell, input_dim, units, reset_after=True)`` for the three
cells, both ``reset_after`` values and several sizes, and compares with
``course_utils.weights.rnn_param_count`` (which the tests compare with Keras's
``count_params()``). A miscount that equals a known slip (no bias, one GRU bias
row instead of two, one block, no recurrent kernel, ...) is named by its
registered id (``misconceptions.py``, CONTRIBUTING.md "Misconception ids").
"""
from dataclasses import dataclass
from functools import partial

from course_utils.weights import rnn_param_count

from ._core import Mistake, call_student, checker, explain, passed
from .variants import param_count

_REREAD = "06_keras_rnns, 'Counting parameters by hand'"
# The known miscounts: a Mistake and the count it gives (variants.param_count, written
# independently of course_utils.weights, with one keyword injecting the slip).
_SLIPS = [
    (Mistake("MISSING-BIAS", "no bias at all",
             explanation="The bias was left out of the count: every block has a bias of "
                         "units numbers, a GRU with reset_after=True two of them.",
             reread=_REREAD),
     partial(param_count, bias_rows=0)),
    (Mistake("MISSING-BIAS",
             "only one bias row for a GRU with reset_after=True (it has two: input and recurrent)",
             explanation="A GRU with reset_after=True has two bias rows (input and recurrent), "
                         "so its bias holds 2 * 3 * units numbers; only one was counted.",
             reread=_REREAD),
     partial(param_count, bias_rows=1)),
    (Mistake("PARAM-COUNT-EXTRA-BIAS-ROW",
             "two bias rows, but only a GRU with reset_after=True has the second one"),
     partial(param_count, bias_rows=2)),
    (Mistake("PARAM-COUNT-ONE-BLOCK", "a single block instead of one per gate"),
     partial(param_count, blocks=1)),
    (Mistake("PARAM-COUNT-NO-RECURRENT", "no recurrent_kernel (units x units per block)"),
     partial(param_count, recurrent=False)),
    (Mistake("PARAM-COUNT-KERNEL-SIZE", "a units x units kernel instead of input_dim x units"),
     lambda cell, input_dim, units, reset_after: param_count(cell, units, units, reset_after)),
]

__all__ = ["check_rnn_param_count"]


@dataclass(frozen=True)
class _Case:
    cell: str
    input_dim: int
    units: int
    reset_after: object   # True / False, or None: not passed (the default, True, applies)
    expected: int
    slips: tuple          # (Mistake, count) of the known slips that give a different count

    @property
    def kwargs(self):
        return {} if self.reset_after is None else {"reset_after": self.reset_after}

    def call_text(self):
        flag = "" if self.reset_after is None else f", reset_after={self.reset_after}"
        return f"rnn_param_count({self.cell!r}, input_dim={self.input_dim}, units={self.units}{flag})"


def _case(cell, input_dim, units, reset_after=None):
    flag = True if reset_after is None else reset_after
    expected = rnn_param_count(cell, input_dim, units, reset_after=flag)
    slips = []
    for mistake, count_with in _SLIPS:
        count = count_with(cell, input_dim, units, flag)
        if count != expected:
            slips.append((mistake, count))
    return _Case(cell, input_dim, units, reset_after, expected, tuple(slips))


# Visible: one small size, every cell, the GRU both ways; input_dim and units
# differ by more than one so that mixing them up never equals another slip.
# Hidden: more sizes, reset_after passed to every cell (it must not change a
# SimpleRNN or LSTM count) and the GRU with the default flag.
_CASES = {
    "visible": [_case("simple_rnn", 2, 4), _case("gru", 2, 4, True), _case("gru", 2, 4, False),
                _case("lstm", 2, 4)],
    "hidden": [_case(cell, input_dim, units, flag)
               for input_dim, units in ((5, 2), (3, 7), (64, 32), (1, 1))
               for cell in ("simple_rnn", "gru", "lstm")
               for flag in (True, False)]
              + [_case("gru", 4, 5)],
}


def _as_count(value, case):
    """The student's return value as an int, or an AssertionError saying what came back."""
    if value is None:
        raise AssertionError(f"{case.call_text()} returned None. Did you forget `return`?")
    try:
        if isinstance(value, (bool, str)):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{case.call_text()} should return a whole number, got {type(value).__name__} "
            f"{value!r}.") from None
    if not number.is_integer():
        raise AssertionError(
            f"{case.call_text()} should return a whole number (a count of parameters), "
            f"got {value!r}.")
    return int(number)


@checker
def check_rnn_param_count(fn, *, hidden=False):
    """Check ``fn(cell, input_dim, units, reset_after=True) -> int`` against Keras's counts."""
    mode = "hidden" if hidden else "visible"
    for case in _CASES[mode]:
        got = _as_count(call_student(fn, case.cell, case.input_dim, case.units,
                                     name="rnn_param_count", **case.kwargs), case)
        if got == case.expected:
            continue
        lines = [f"{case.call_text()} ({mode} case): expected {case.expected} parameters "
                 f"(what Keras's count_params() reports), got {got} "
                 f"({got - case.expected:+d})."]
        found = [mistake for mistake, count in case.slips if count == got]
        lines.extend(explain(found, what_we_get="count"))
        if not found:
            lines.append("Count per block: input_dim * units (kernel) + units * units "
                         "(recurrent_kernel) + units (bias); SimpleRNN has 1 block, GRU 3, "
                         "LSTM 4, and a GRU with reset_after=True has a second bias row.")
        raise AssertionError("\n".join(lines))
    passed(f"rnn_param_count: right for SimpleRNN, GRU (reset_after=True and False) and LSTM "
           f"on {len(_CASES[mode])} {mode} cases.")
