"""Checkers: one ``check_<exercise>(fn, *, hidden=False)`` per exercise.

A checker prints one line on success and raises ``AssertionError`` with an
explanation (expected, got, where, and the id of a known mistake) on failure.

``from course_utils.checks import check_rnn_forward`` works for every checker:
names are looked up in the topic modules of this package on first use.
"""
import importlib
import pkgutil

from ._core import passed  # noqa: F401
from .misconceptions import MISCONCEPTIONS  # noqa: F401


def _topic_modules():
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "misconceptions":
            yield importlib.import_module(f"{__name__}.{info.name}")


def __getattr__(name):
    if name.startswith("check_"):
        for module in _topic_modules():
            if hasattr(module, name):
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    names = set(globals())
    for module in _topic_modules():
        names.update(n for n in dir(module) if n.startswith("check_"))
    return sorted(names)
