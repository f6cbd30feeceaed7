"""No lesson puts the course's own version of an exercise into the student's namespace.

A student who finds ``reference.gru_cell_forward`` sitting in the namespace
may call it from their answer (which the grader would flag ``uses-reference``).
The lessons' own cells import no course module or function that holds the
implementation of an exercise of the same lesson; cells that need it after the
exercise go through ``course_utils.fallback``.
"""
import ast
import importlib

import nbformat
import pytest

from grader.config import Course
from grader.judge.integrity import parse_cell
from grader.judge.judge import exercise_names

COURSE = Course.at()
LESSONS = COURSE.assignments()


def _imports(nb):
    """(module, name or None, bound name) of every top-level course_utils import in the
    notebook's non-answer cells."""
    from nbgrader import utils

    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or utils.is_solution(cell):
            continue
        tree = parse_cell(cell.source)
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, ast.Import):
                found += [(a.name, None, a.asname or a.name) for a in node.names
                          if a.name.startswith("course_utils")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                found += [(node.module, a.name, a.asname or a.name) for a in node.names]
    return found


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_exercise_reference_in_namespace(lesson):
    nb = nbformat.read(str(COURSE.release_notebook(lesson)), as_version=4)
    exercises = set(exercise_names(nb))
    assert exercises, "the lesson has test cells calling checkers"
    offenders = []
    for module_name, name, bound in _imports(nb):
        if module_name.startswith("course_utils.checks") or module_name == "course_utils.fallback":
            continue
        module = importlib.import_module(module_name)
        if name and not hasattr(module, name):  # a submodule: from course_utils import gru
            importlib.import_module(f"{module_name}.{name}")
        target = getattr(module, name) if name else module
        if name in exercises or bound in exercises:
            offenders.append(f"from {module_name} import {name} as {bound}")
        elif isinstance(target, type(module)):  # a module: does it hold an exercise?
            held = sorted(e for e in exercises if callable(getattr(target, e, None)))
            if held:
                offenders.append(f"{bound} ({target.__name__}) holds {', '.join(held)}")
    assert not offenders, offenders
