"""Synthetic student submissions, for the demo, the tests and the benchmark.

A synthetic student starts from the generated lesson (exactly what a student
receives) and fills some exercise cells, found by their nbgrader grade_id::

    perfect  = student_notebook(course, "01_simple_rnn", perfect=True)
    mistaken = student_notebook(course, "01_simple_rnn", answers={"rnn_forward": SOURCE})
    write_submission(course, "alice", "01_simple_rnn", mistaken)

``perfect=True`` fills every exercise with the solution's code (the
``### BEGIN/END SOLUTION`` marker lines removed, as a student would have it);
``answers`` then overrides single cells.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Mapping

import nbformat

from ..config import Course
from .build import generate

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

_release_cache: dict[tuple, nbformat.NotebookNode] = {}


def release_notebook(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The student version of ``assignment``, generated fresh from solutions/ (cached)."""
    source = course.source_notebook(assignment)
    key = (str(source), source.stat().st_mtime_ns)
    if key not in _release_cache:
        with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
            generate(course, [assignment], Path(tmp))
            _release_cache[key] = nbformat.read(str(Path(tmp) / assignment / f"{assignment}.ipynb"),
                                                as_version=4)
    return copy.deepcopy(_release_cache[key])


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solution_sources(course: Course, assignment: str) -> dict[str, str]:
    """grade_id -> the solution's code of every exercise cell, without marker lines."""
    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    sources = {}
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            lines = [line for line in cell.source.split("\n")
                     if line.strip() not in SOLUTION_MARKERS]
            sources[grade_id(cell)] = "\n".join(lines)
    return sources


def student_notebook(course: Course, assignment: str, answers: Mapping[str, str] | None = None,
                     *, perfect: bool = False) -> nbformat.NotebookNode:
    """The lesson with exercise cells filled in (see module docstring)."""
    nb = release_notebook(course, assignment)
    fill = dict(solution_sources(course, assignment)) if perfect else {}
    fill.update(answers or {})
    cells = {grade_id(cell): cell for cell in nb.cells if grade_id(cell)}
    unknown = sorted(set(fill) - set(cells))
    if unknown:
        raise KeyError(f"{assignment} has no cell with grade_id {', '.join(unknown)}; "
                       f"its cells are: {', '.join(sorted(cells))}")
    for key, source in fill.items():
        cells[key].source = source
    return nb


def write_submission(course: Course, student: str, assignment: str, nb,
                     timestamp: str | None = None) -> Path:
    """Save ``nb`` as ``submitted/<student>/<assignment>/<assignment>.ipynb``."""
    path = course.submitted_notebook(student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    if timestamp:
        (path.parent / "timestamp.txt").write_text(timestamp + "\n")
    return path
