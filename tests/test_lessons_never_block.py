"""An unfinished or broken exercise never blocks a lesson: only test cells may fail.

Every lesson is run as a student would run it, top to bottom, with nbclient
(kernel ``python3``, from the lesson's folder, ``allow_errors=True``):

* ``released``   the lesson exactly as released: every exercise is a stub that
                 raises ``NotImplementedError``;
* ``broken``     every exercise replaced by an answer that raises ``ValueError``
                 when called (an answer cell that is not a function raises when run).

In both, the only cells allowed an error output are test cells (nbgrader grade
cells that are not solution cells) and, in ``broken``, the broken answer cells
themselves. Any other error is a cell that needed an exercise's function and
did not fall back to the course's version (``course_utils.fallback``).

``broken`` breaks all exercises at once, which catches every unguarded use of
every exercise in one run per lesson; ``released`` catches the same uses with the
stubs' ``NotImplementedError``.  Each run is a whole lesson run again (nbval in
``make test`` already runs every solution once), so both are in the full tier
(``make test-full``, marker ``full``).  ``make test`` checks the same rule for
every cell that grading runs, at no extra cost: the round trip's ``untouched``
student (``tests/test_round_trip.py``).  ``NEVER_BLOCK_EACH=1`` adds one run per
exercise, that exercise broken and every other one answered with the
solution (slower: one whole lesson run per exercise).

Each run costs one lesson's run time (the lessons train small Keras models),
so the test is marked slow and parametrised per lesson and run, for xdist.
"""
import os
import re
from pathlib import Path

import pytest
from nbclient import NotebookClient

from grader.config import REPO_ROOT, Course
from grader.course.synthesize import grade_id, solution_sources, student_notebook

COURSE = Course.at()
LESSONS = COURSE.assignments()
TIMEOUT = 180  # seconds per cell, as in grading
BROKEN_MESSAGE = "a broken answer (tests/test_lessons_never_block.py)"


def broken_source(source: str) -> str:
    """An answer that raises ValueError: each function the solution defines, with its
    signature, raising; a cell that defines no function raises when it runs."""
    names = re.findall(r"^def\s+(\w+)\s*\(", source, flags=re.MULTILINE)
    if not names:
        return f"raise ValueError({BROKEN_MESSAGE!r})\n"
    return "\n\n".join(f"def {name}(*args, **kwargs):\n    raise ValueError({BROKEN_MESSAGE!r})\n"
                       for name in names)


def _runs(lesson):
    runs = ["released", "broken"]
    if os.environ.get("NEVER_BLOCK_EACH") == "1":
        runs += [f"broken-{gid}" for gid in solution_sources(COURSE, lesson)]
    return runs


def _marks(lesson, run):
    return [pytest.mark.xdist_group(f"never-block-{lesson}-{run}"), pytest.mark.full]


CASES = [pytest.param(lesson, run, id=f"{lesson}-{run}", marks=_marks(lesson, run))
         for lesson in LESSONS for run in _runs(lesson)]


def _notebook(lesson, run):
    """(notebook, grade_ids of the answer cells allowed to fail) for one run."""
    exercises = solution_sources(COURSE, lesson)
    if run == "released":
        return student_notebook(COURSE, lesson), set()
    if run == "broken":
        answers = {gid: broken_source(src) for gid, src in exercises.items()}
        return student_notebook(COURSE, lesson, answers), set(answers)
    gid = run.removeprefix("broken-")
    return (student_notebook(COURSE, lesson, {gid: broken_source(exercises[gid])}, perfect=True),
            {gid})


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _errors(nb):
    """[(index, grade_id, 'Name: message'), ...] for every cell with an error output."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append((index, grade_id(cell), cell,
                              f"{output.get('ename')}: {str(output.get('evalue'))[:200]}"))
    return found


def test_broken_source_keeps_the_signature_and_raises():
    source = broken_source("def f(x, y=1):\n    return x\n\ndef g():\n    pass\n")
    namespace = {}
    exec(source, namespace)
    for name in ("f", "g"):
        with pytest.raises(ValueError):
            namespace[name](1)
    with pytest.raises(ValueError):
        exec(broken_source("model = 1\n"), {})


@pytest.mark.slow
@pytest.mark.parametrize("lesson, run", CASES)
def test_only_test_cells_fail(lesson, run):
    nb, broken_cells = _notebook(lesson, run)
    folder = REPO_ROOT / "lessons" / lesson
    if not folder.is_dir():
        folder = Path(COURSE.source_notebook(lesson)).parent
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    errors = _errors(nb)
    outside = [(index, gid, error) for index, gid, cell, error in errors
               if not _is_test_cell(cell) and gid not in broken_cells]
    assert not outside, (
        f"{lesson} ({run}): cells other than test cells raised, so a student is blocked:\n"
        + "\n".join(f"  cell {index} ({gid or 'no grade_id'}): {error}"
                    for index, gid, error in outside))
    if run == "released":  # the stubs really were reached: each exercise's test cell fails
        assert errors, f"{lesson}: no test cell failed on the released stubs"


def test_every_lesson_has_a_case():
    assert {case.values[0] for case in CASES} == set(LESSONS)
