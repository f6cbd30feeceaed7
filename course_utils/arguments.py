"""Did a function write into its arguments?

A student's function is always called on copies of the inputs (by the checkers,
by the grader's agent in the kernel, by ``fallback.yours_or_course``); comparing
the copies with the originals after the call tells which arguments it changed
in place (``h_prev[...] = 0``, ``x += 1``...), a mistake that breaks the caller
even when the function's own result is right (MODIFIES-INPUTS).
"""
import copy
import inspect

import numpy as np

_array_equal = np.array_equal   # captured before any student code runs
_ndarray = np.ndarray


def copies(args, kwargs):
    """Deep copies of ``args`` and ``kwargs``; numpy random Generators are shared, not copied,
    so that repeated calls draw one stream."""
    generators = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
    memo = {id(g): g for g in generators}
    return copy.deepcopy(args, memo), copy.deepcopy(kwargs, memo)


def _changed(before, after) -> bool:
    if isinstance(before, _ndarray):
        if not isinstance(after, _ndarray) or before.shape != after.shape \
                or before.dtype != after.dtype:
            return True
        try:
            return not _array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        except TypeError:
            return not _array_equal(before, after)
    if isinstance(before, (list, tuple)):
        return (type(before) is not type(after) or len(before) != len(after)
                or any(_changed(b, a) for b, a in zip(before, after)))
    if isinstance(before, dict):
        return before.keys() != after.keys() or any(_changed(before[k], after[k]) for k in before)
    return False   # numbers, strings, generators...: not compared


def _names(fn, count):
    """Names of the first ``count`` positional parameters of ``fn`` (``argument 1``... if unknown)."""
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i + 1}" for i in range(count)]


def modified_arguments(fn, args, kwargs, used_args, used_kwargs) -> list:
    """Names of the arguments that differ between the originals (``args``, ``kwargs``) and
    the copies the call of ``fn`` received (``used_args``, ``used_kwargs``)."""
    positions = [i for i, (before, after) in enumerate(zip(args, used_args))
                 if _changed(before, after)]
    # The names come from inspect.signature (60 us): only when an argument did change, not
    # on each of the thousands of calls a statistical check makes.
    names = _names(fn, len(args)) if positions else []
    changed = [names[i] for i in positions]
    changed += [key for key in kwargs if _changed(kwargs[key], used_kwargs.get(key))]
    return changed
