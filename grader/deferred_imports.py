"""Optional imports of our dependencies that cost seconds and that grading never uses.

Imported first by ``grader/__init__.py``, before anything imports jsonschema
(nbformat, nbgrader): the deferral must be in place when jsonschema loads.

``rfc3987_syntax``: jsonschema's format checkers import it, when it is
installed (it comes with ``jsonschema[format-nongpl]``, which jupyter-events
asks for), only to check the ``iri`` and ``iri-reference`` formats.  Its import
compiles an Earley grammar with lark: about 2 s of CPU in every process that
imports nbformat (the grader, each grading worker, each nbgrader command).
No schema the grader validates uses those formats.  ``defer_iri_grammar``
puts a stand-in under that name whose ``is_valid_syntax`` -- the one name
jsonschema imports from it -- imports the real module on its first call, so
a schema that does use an IRI format is still checked exactly as before.
The contract test is in ``tests/test_nbgrader_seam.py``.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types

IRI_MODULE = "rfc3987_syntax"


class _DeferredIriSyntax(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until ``is_valid_syntax`` is called."""

    __deferred__ = True

    @staticmethod
    def is_valid_syntax(term: str, value: str) -> bool:
        return _real_iri_module().is_valid_syntax(term, value)


def _real_iri_module() -> types.ModuleType:
    module = sys.modules.get(IRI_MODULE)
    if isinstance(module, _DeferredIriSyntax):
        del sys.modules[IRI_MODULE]   # let the import system load the real package
        try:
            module = importlib.import_module(IRI_MODULE)
        except BaseException:
            sys.modules.setdefault(IRI_MODULE, _DeferredIriSyntax(IRI_MODULE))
            raise
    return module


def defer_iri_grammar() -> bool:
    """Put the stand-in in place; True if it is (False: jsonschema already loaded, or
    ``rfc3987_syntax`` is not installed, so there is nothing to defer)."""
    if "jsonschema" in sys.modules or IRI_MODULE in sys.modules:
        return isinstance(sys.modules.get(IRI_MODULE), _DeferredIriSyntax)
    if importlib.machinery.PathFinder.find_spec(IRI_MODULE) is None:
        return False
    sys.modules[IRI_MODULE] = _DeferredIriSyntax(IRI_MODULE)
    return True
