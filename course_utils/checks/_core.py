"""Shared machinery of the checkers: calling student code safely, comparing
arrays, and naming known mistakes.

The one framework every checker uses:

* ``checker``          decorates each public ``check_*``: the message is the whole
                       story (no frames of ours in the traceback, lines wrapped).
* ``call_student``     runs a student's function on copies of the inputs.
* ``Mistake``          a known mistake: a registered id (``misconceptions``) and the
                       words for this exercise; ``found_mistakes`` tells which
                       candidate outputs a wrong answer reproduces, ``explain``
                       turns them into message lines.
* ``compare``          the expected-vs-got message, with the mistakes appended.
* ``ATOL`` / ``DIAGNOSIS_ATOL``  the two tolerances, defined once.

Every comparison uses numpy functions captured when this module is imported,
so a student cell that later reassigns ``np.allclose`` (or ``np.abs``...)
cannot make a wrong answer pass.
"""
import contextlib
import functools
import io
import textwrap
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from course_utils.arguments import copies, modified_arguments

from .misconceptions import EXERCISE_SECTIONS, MISCONCEPTIONS, reread_text


def _in_grading_kernel() -> bool:
    """True in a kernel the grader started (``RNN_COURSE_GRADING`` set, an IPython kernel
    running): there the grader judges the test cells in its own process."""
    import sys

    from course_utils.settings import grading

    if not grading() or "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class Precomputed(Mapping):
    """A checker module's table of probes (inputs with their expected outputs) or diagnoses.

    Built when the module is imported, before any student cell runs, so that a student
    who reassigns ``np.tanh`` cannot change the expected answers.  In a grading kernel
    the kernel's checkers are not asked for grades (the grader judges every test cell in
    its own process), so there the table is built on first use: a graded kernel that
    imports the checkers in its setup cell does not pay for it (0.3 s for the GRU's).
    """

    def __init__(self, build):
        self._build = build
        self._table = None
        if not _in_grading_kernel():
            self._built()

    def _built(self) -> dict:
        if self._table is None:
            self._table = dict(self._build())
        return self._table

    def __getitem__(self, key):
        return self._built()[key]

    def __iter__(self):
        return iter(self._built())

    def __len__(self):
        return len(self._built())


# Captured at import time, before any student code runs (see module docstring).
_asarray = np.asarray
_abs = np.abs
_argmax = np.argmax
_unravel_index = np.unravel_index
_isnan = np.isnan
_isfinite = np.isfinite
_errstate = np.errstate
_float64 = np.float64
_ndarray = np.ndarray
_array = np.array

ATOL = 1e-5   # float32 round-off of one RNN step is ~1e-7; a real mistake is >1e-2.
# An output within this of a known mistake's output IS that mistake (the probes are
# chosen so that different mistakes differ by far more).
DIAGNOSIS_ATOL = 1e-4
MESSAGE_WIDTH = 90   # failure messages are wrapped at this many characters


class StudentCodeError(AssertionError):
    """The student's function raised instead of returning."""


def wrap_message(text: str, width: int = MESSAGE_WIDTH, *, first_offset: int = 16) -> str:
    """``text`` with every line wrapped at ``width`` characters, between words only.

    The first line leaves room for the ``first_offset`` characters that precede it
    on screen ("AssertionError: " or "CheckFailed: "). A continuation line keeps the
    indentation of the line it continues, so an indented list stays readable.
    """
    lines = []
    for number, line in enumerate(str(text).splitlines() or [""]):
        indent = line[:len(line) - len(line.lstrip())]
        offset = first_offset if number == 0 else 0
        if len(line) + offset <= width:
            lines.append(line)
            continue
        wrapped = textwrap.wrap(line.lstrip(), width, initial_indent=" " * offset + indent,
                                subsequent_indent=indent, break_long_words=False,
                                break_on_hyphens=False) or [line]
        wrapped[0] = wrapped[0][offset:]
        lines.extend(wrapped)
    return "\n".join(lines)


class CheckFailed(AssertionError):
    """A check failed; the message (already wrapped) is all the student needs to read.

    IPython asks an exception for ``_render_traceback_()`` before formatting its
    frames: ours is the message alone, under the exception's name, so a failing
    test cell (and nbgrader's Validate dialog, which shows the same traceback)
    never shows a frame of the checkers. The cell that failed is the one whose
    output this is.
    """

    def _render_traceback_(self):
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


def checker(fn):
    """Decorate a public ``check_*`` function.

    A failure is re-raised from this wrapper as ``CheckFailed`` (an AssertionError)
    with the message wrapped at ``MESSAGE_WIDTH`` characters and no chained
    exception; IPython shows it without frames (``CheckFailed._render_traceback_``),
    so a failing test cell never shows the checkers' internals (which would also
    quote hidden-test machinery). ``__tracebackhide__`` does the same for pytest.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 - read by pytest's traceback printer
        try:
            return fn(*args, **kwargs)
        except AssertionError as err:
            raise CheckFailed(wrap_message(str(err))) from None
    wrapper.__checker__ = True   # tests/test_checks_registry.py: every check_* is wrapped
    return wrapper


def passed(message: str) -> None:
    """Print the one-line success message of a check."""
    print(f"\u2714 {message}")


@contextlib.contextmanager
def _quiet():
    """Silence warnings and floating-point chatter: a correct answer (e.g. a
    naive sigmoid that overflows) must never write to stderr, because nbgrader
    zeroes a test cell with stderr output."""
    with warnings.catch_warnings(), _errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


class RemoteError(Exception):
    """An exception raised by student code in another process (the grading kernel).

    The grader's judge calls a student's function through a proxy that runs it
    in the sandboxed kernel; when it raises there, the proxy raises a subclass
    of this (and of the builtin exception of the same name, when there is one)
    carrying what a message needs: the type name, the text, the innermost
    function and line of the traceback.
    """

    def __init__(self, type_name: str, message: str, innermost: str | None = None,
                 line: str = ""):
        super().__init__(message)
        self.type_name = type_name
        self.innermost = innermost
        self.line = line


def _failure_place(err):
    """(innermost function name, " (line N of f)") of an exception, local or remote."""
    if isinstance(err, RemoteError):
        return err.innermost, err.line
    tb, name, line = err.__traceback__, None, ""
    while tb is not None:            # last frame: where the student's code failed
        name = tb.tb_frame.f_code.co_name
        line = f" (line {tb.tb_lineno} of {name})"
        tb = tb.tb_next
    return name, line


class InputsModified(Exception):
    """The student's function wrote into the arguments named ``names`` (raised by
    ``call_student``'s local check, or by the judge's proxy for a remote call)."""

    def __init__(self, names, returned_none: bool = False):
        super().__init__(", ".join(names))
        self.names = list(names)
        self.returned_none = returned_none


def _modifies_inputs(name, names, returned_none) -> StudentCodeError:
    which = " and ".join(", ".join(names).rsplit(", ", 1)) if len(names) > 1 else names[0]
    noun = "arguments" if len(names) > 1 else "argument"
    first = names[0]
    return StudentCodeError(
        f"{name} changed its {noun} {which} in place. "
        + Mistake("MODIFIES-INPUTS", explanation=(
            f"{name} writes into {which} (for example {first}[...] = ... or {first} += ...); "
            f"whoever called it still needs that array, so build new arrays "
            f"(e.g. {first} = {first} + ...) and leave the inputs as they came."),
            reread=EXERCISE_SECTIONS.get(name, "")).describe()
        + ("\nIt also returned None: return the new arrays (did you forget `return`?)."
           if returned_none else ""))


def _call_local(fn, args, kwargs):
    """``fn`` on copies of the arguments; ``InputsModified`` if it wrote into them."""
    used_args, used_kwargs = copies(args, kwargs)
    result = fn(*used_args, **used_kwargs)
    changed = modified_arguments(fn, args, kwargs, used_args, used_kwargs)
    if changed:
        raise InputsModified(changed, returned_none=result is None)
    return result


def call_student(fn, *args, name=None, repeat=None, **kwargs):
    """Call ``fn`` on deep copies of the arguments and return its result.

    With ``repeat=n`` the call is made ``n`` times (fresh copies each time, one
    shared random Generator) and the list of results is returned.  ``fn`` may be
    a local function or the judge's proxy for a function in the grading kernel
    (it has ``__remote_call__``): then the whole batch is one round trip.

    Raises ``StudentCodeError`` (an AssertionError) with a beginner-friendly
    message if ``fn`` raises, or writes into one of its arguments
    (MODIFIES-INPUTS), so a test cell fails with our words rather than a
    traceback into the checker.
    """
    name = name or getattr(fn, "__name__", "your function")
    remote = getattr(fn, "__remote_call__", None)
    try:
        with _quiet():
            if remote is not None:
                return remote(args, kwargs, repeat=repeat)
            if repeat is None:
                return _call_local(fn, args, kwargs)
            return [_call_local(fn, args, kwargs) for _ in range(repeat)]
    except InputsModified as err:
        raise _modifies_inputs(name, err.names, err.returned_none) from None
    except NotImplementedError as err:
        stub, _ = _failure_place(err)
        own_names = {getattr(fn, "__name__", None),
                     getattr(getattr(fn, "__code__", None), "co_name", None)}
        if stub and stub not in own_names:
            raise StudentCodeError(
                f"{name} calls {stub}, which is not implemented yet: finish {stub} "
                f"first (replace its `raise NotImplementedError()` with your code).") from None
        raise StudentCodeError(
            f"{name} is not implemented yet: replace `raise NotImplementedError()` "
            f"with your code.") from None
    except Exception as err:  # noqa: BLE001 - any student error becomes a test failure
        _, line = _failure_place(err)
        kind = err.type_name if isinstance(err, RemoteError) else type(err).__name__
        raise StudentCodeError(
            f"{name} raised {kind}: {err}{line}. "
            f"Check the shapes of the arrays at that line.") from None


def to_array(value, what: str) -> np.ndarray:
    """``value`` as a float64 array, or an AssertionError saying what came back."""
    if value is None:
        raise AssertionError(f"{what}: expected an array but got None. Did you forget `return`?")
    try:
        with _quiet():
            arr = _asarray(value, dtype=_float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what}: expected a numpy array but got {type(value).__name__}.") from None
    return arr


@dataclass(frozen=True)
class Mistake:
    """A known mistake, as one checker recognises it.

    ``id`` is registered in ``misconceptions.MISCONCEPTIONS`` (the class report
    counts it); ``hint`` is the slip in a few words, completing "Your output is
    exactly what we get with ...". ``explanation`` and ``reread`` replace the
    registry's general sentence and section with words for this exercise (e.g.
    MISSING-BIAS in the SimpleRNN lesson does not talk about a GRU's two bias rows).
    """
    id: str
    hint: str = ""
    explanation: str = field(default="", kw_only=True)
    reread: str = field(default="", kw_only=True)

    def __post_init__(self):
        if self.id not in MISCONCEPTIONS:
            raise KeyError(f"mistake id {self.id!r} is not registered in "
                           "course_utils/checks/misconceptions.py")

    def describe(self) -> str:
        """``[ID] sentence (Reread: section.)``, the line a failure message carries."""
        known = MISCONCEPTIONS[self.id]
        return (f"[{self.id}] {self.explanation or known.explanation} "
                f"{reread_text(self.reread or known.reread)}")


def explain(mistakes, *, what_we_get: str = "output") -> list:
    """Message lines for the ``Mistake`` objects a wrong answer reproduces.

    One ``[ID] ...`` line per distinct id (in the order found), then one line
    "(Your output is exactly what we get with <hint> / <hint>.)" when hints exist.
    Two mistakes found together (a combination) are both named.
    """
    mistakes = list(dict.fromkeys(mistakes))
    lines, seen = [], set()
    for m in mistakes:
        if m.id not in seen:
            seen.add(m.id)
            lines.append(m.describe())
    hints = list(dict.fromkeys(m.hint for m in mistakes if m.hint))
    if hints:
        lines.append(f"(Your {what_we_get} is exactly what we get with {' / '.join(hints)}.)")
    return lines


def describe_ids(ids) -> str:
    """One line per registered id, for the end of a failure message."""
    return "\n".join(Mistake(i).describe() for i in dict.fromkeys(ids))


def matches(got, candidate, atol: float = ATOL) -> bool:
    """True if ``got`` equals ``candidate`` (same shape, all within atol, NaN where NaN)."""
    got = to_array(got, "output")
    candidate = _asarray(candidate, dtype=_float64)
    if got.shape != candidate.shape:
        return False
    with _errstate(all="ignore"):
        nan_got, nan_cand = _isnan(got), _isnan(candidate)
        if (nan_got != nan_cand).any():
            return False
        diff = _array(_abs(got - candidate), dtype=_float64, ndmin=1)  # 0-d safe
        diff[nan_got.reshape(diff.shape)] = 0.0
        return bool((diff <= atol).all())


def same(got, candidate, atol: float = DIAGNOSIS_ATOL, *, relative: bool = False) -> bool:
    """True if ``got`` equals ``candidate`` within ``atol`` (numbers and arrays alike).

    ``relative=True`` scales the tolerance by the candidate's largest finite
    magnitude (for quantities like perplexities that can be huge).
    """
    got = _asarray(got, dtype=_float64)
    candidate = _asarray(candidate, dtype=_float64)
    if got.shape != candidate.shape:
        return False
    if relative:
        scale = _abs(candidate[_isfinite(candidate)]) if candidate.size else candidate
        atol = atol * max(1.0, float(scale.max(initial=1.0)))
    return matches(got.reshape(-1), candidate.reshape(-1), atol)


def _outputs(value):
    return tuple(value) if isinstance(value, tuple) else (value,)


def found_mistakes(got, candidates, *, expected=None, atol: float = DIAGNOSIS_ATOL,
                   relative: bool = False) -> list:
    """The mistakes whose output ``got`` reproduces.

    ``candidates`` is a sequence of ``(mistake, output)``; ``mistake`` is a
    ``Mistake`` or a tuple of them (a combination of two mistakes, whose output
    was computed with both at once); ``output`` is an array or a tuple of arrays
    (a function with several outputs: all must match). A candidate whose output
    equals ``expected`` says nothing on this probe and is skipped.
    """
    got = _outputs(got)
    found = []
    for mistake, output in candidates:
        output = _outputs(output)
        if len(output) != len(got):
            continue
        if expected is not None and all(
                same(o, e, atol, relative=relative) for o, e in zip(output, _outputs(expected))):
            continue
        if all(same(g, o, atol, relative=relative) for g, o in zip(got, output)):
            found.extend(mistake if isinstance(mistake, tuple) else (mistake,))
    return list(dict.fromkeys(found))


def compare(what: str, got, expected, *, atol: float = ATOL, mistakes=(),
            context: str = "") -> None:
    """Assert that ``got`` equals ``expected``; otherwise explain the difference.

    The message says what was expected, what came back, where (index and the
    largest absolute error) and which known mistakes it reproduces, if any
    (``mistakes``: ``(Mistake, output)`` pairs, see ``found_mistakes``).
    ``context`` describes the inputs (e.g. "batch=2, T=3, units=4, h0 = zeros").
    """
    got_arr = to_array(got, what)
    exp = _asarray(expected, dtype=_float64)
    where = f" for {context}" if context else ""
    if got_arr.shape == exp.shape and matches(got_arr, exp, atol):
        return
    lines = explain(found_mistakes(got_arr, mistakes, expected=exp))
    hint = ("\n" + "\n".join(lines)) if lines else ""
    if got_arr.shape != exp.shape:
        raise AssertionError(
            f"{what}{where}: expected shape {exp.shape}, got shape {got_arr.shape}.{hint}")
    with _errstate(all="ignore"):
        diff = _array(_abs(got_arr - exp), dtype=_float64)
    bad_nan = _isnan(got_arr) & ~_isnan(exp)
    if bad_nan.any():
        idx = tuple(int(i) for i in _unravel_index(_argmax(bad_nan), bad_nan.shape))
        raise AssertionError(
            f"{what}{where}: got NaN at index {list(idx)} where {exp[idx]:.6g} was "
            f"expected.{hint}")
    diff[~_isfinite(diff)] = np.inf
    idx = tuple(int(i) for i in _unravel_index(_argmax(diff), diff.shape))
    n_bad = int((diff > atol).sum())
    raise AssertionError(
        f"{what}{where}: values differ from the expected ones in {n_bad} of {diff.size} "
        f"entries. Largest difference at index {list(idx)}: expected {exp[idx]:.6g}, "
        f"got {got_arr[idx]:.6g} (abs error {diff[idx]:.3g}, tolerance {atol:g}).{hint}")
