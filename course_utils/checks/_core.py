"""Shared machinery of the checkers: calling student code safely, comparing
arrays, and naming known mistakes.

Every comparison uses numpy functions captured when this module is imported,
so a student cell that later reassigns ``np.allclose`` (or ``np.abs``...)
cannot make a wrong answer pass.
"""
import contextlib
import copy
import functools
import io
import sys
import warnings

import numpy as np

from .misconceptions import MISCONCEPTIONS

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


class StudentCodeError(AssertionError):
    """The student's function raised instead of returning."""


def checker(fn):
    """Decorate a public ``check_*`` function: failures are re-raised from its own frame,
    so a failing test cell shows our message under a short traceback instead of the
    checker's internals (which would also quote hidden-test machinery)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AssertionError as err:
            raise AssertionError(str(err)) from None
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


def _copies(args, kwargs):
    """Deep copies of the arguments; numpy random Generators are shared, not copied,
    so that repeated calls draw a stream (``repeat``)."""
    generators = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
    memo = {id(g): g for g in generators}
    return copy.deepcopy(args, memo), copy.deepcopy(kwargs, memo)


def call_student(fn, *args, name=None, repeat=None, **kwargs):
    """Call ``fn`` on deep copies of the arguments and return its result.

    With ``repeat=n`` the call is made ``n`` times (fresh copies each time, one
    shared random Generator) and the list of results is returned.  ``fn`` may be
    a local function or the judge's proxy for a function in the grading kernel
    (it has ``__remote_call__``): then the whole batch is one round trip.

    Raises ``StudentCodeError`` (an AssertionError) with a beginner-friendly
    message if ``fn`` raises, so a test cell fails with our words rather than
    a traceback into the checker.
    """
    name = name or getattr(fn, "__name__", "your function")
    remote = getattr(fn, "__remote_call__", None)
    try:
        with _quiet():
            if remote is not None:
                return remote(args, kwargs, repeat=repeat)
            if repeat is None:
                a, k = _copies(args, kwargs)
                return fn(*a, **k)
            results = []
            for _ in range(repeat):
                a, k = _copies(args, kwargs)
                results.append(fn(*a, **k))
            return results
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


def describe_ids(ids) -> str:
    """One line per known mistake, for the end of a failure message."""
    return "\n".join(MISCONCEPTIONS[i].describe() for i in ids)


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


def diagnose(got, wrong_variants: dict, atol: float = 1e-4) -> list:
    """Ids of the known-wrong variants whose output ``got`` reproduces.

    ``wrong_variants`` maps a misconception id to the output that mistake
    produces on the same probe inputs. Probes are chosen by the caller so that
    the variants differ from the correct output and from each other.
    """
    return [mid for mid, out in wrong_variants.items() if matches(got, out, atol)]


def compare(what: str, got, expected, *, atol: float = ATOL, wrong_variants=None,
            context: str = "") -> None:
    """Assert that ``got`` equals ``expected``; otherwise explain the difference.

    The message says what was expected, what came back, where (index and the
    largest absolute error) and which known mistake it looks like, if any.
    ``context`` describes the inputs (e.g. "batch=2, T=3, units=4, h0 = zeros").
    """
    got_arr = to_array(got, what)
    exp = _asarray(expected, dtype=_float64)
    where = f" for {context}" if context else ""
    ids = diagnose(got_arr, wrong_variants or {})
    hint = ("\n" + describe_ids(ids)) if ids else ""
    if got_arr.shape != exp.shape:
        raise AssertionError(
            f"{what}{where}: expected shape {exp.shape}, got shape {got_arr.shape}.{hint}")
    if matches(got_arr, exp, atol):
        return
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
