"""Build ``lessons/`` from ``solutions/`` with nbgrader, and check that it is in sync.

``build`` runs nbgrader's GenerateAssignment (solution regions become stubs,
hidden tests are removed, outputs cleared, test cells locked and checksummed)
without touching the gradebook, copies the lesson folder's other files, and
marks every generated notebook DO NOT EDIT in its metadata (``MarkGenerated``,
the last of its preprocessors: nbgrader's own Generate marks the same way).  Generation is
deterministic, so rebuilding an unchanged lesson rewrites identical bytes.

``check`` regenerates into a temporary folder and compares with ``lessons/``;
when they differ it returns a unified diff of the cell sources (what a
maintainer has to look at), so CI can fail with a readable message.
"""
from __future__ import annotations

import difflib
import filecmp
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from ..config import (
    SOURCE_DIR,
    Course,
    course_directory,
    ensure_tools_on_path,
    nbgrader_config,
    quiet_nbgrader_logs,
)

MARKER_KEY = "grader"


class BuildError(RuntimeError):
    pass


def marker(assignment: str) -> dict:
    source = f"{SOURCE_DIR}/{assignment}/{assignment}.ipynb"
    return {"generated_from": source,
            "warning": f"DO NOT EDIT: generated from {source} by `python -m grader build`; "
                       "edit the solution notebook and rebuild."}


def is_generated(notebook: Path) -> bool:
    try:
        return MARKER_KEY in nbformat.read(str(notebook), as_version=4).metadata
    except Exception:  # noqa: BLE001 - unreadable means not ours
        return False


class MarkGenerated(NbGraderPreprocessor):
    """The DO NOT EDIT mark (notebook metadata ``grader``) on every generated notebook:
    last in GenerateAssignment's preprocessors, so the build and nbgrader's own Generate
    (Formgrader's button, ``nbgrader generate_assignment``) write the same bytes."""

    def preprocess(self, nb, resources):
        nb.metadata[MARKER_KEY] = marker(resources["nbgrader"]["assignment"])
        return nb, resources


def generate_config(course: Course):
    """The course's nbgrader config with GenerateAssignment marking what it writes."""
    from ..nbgrader_seam import generate_preprocessors

    config = nbgrader_config(course)
    config.GenerateAssignment.preprocessors = generate_preprocessors([MarkGenerated])
    return config


def generate(course: Course, assignments: list[str], release_dir: Path, *,
             database: bool = False, db_url: str | None = None) -> list[Path]:
    """Run nbgrader GenerateAssignment for ``assignments`` into ``release_dir``.

    With ``database=True`` the assignment, its notebooks and the source of every
    graded/locked cell (hidden tests included) are also recorded in the
    gradebook (the course's, or ``db_url``), which autograde needs.  Returns the
    generated notebooks.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import capture_log

    ensure_tools_on_path()
    quiet_nbgrader_logs()
    from ..nbgrader_seam import use_inprocess_alembic_head, use_schema_checked_once

    use_schema_checked_once()
    if database:
        use_inprocess_alembic_head()
    config = generate_config(course)
    if db_url:
        config.CourseDirectory.db_url = db_url
    config.CourseDirectory.release_directory = str(Path(release_dir).resolve())
    if not database:
        config.SaveCells.enabled = False
        config.GenerateAssignment.no_database = True

    written = []
    for assignment in assignments:
        if not course.source_notebook(assignment).is_file():
            raise BuildError(f"no solution notebook {course.source_notebook(assignment)}")
        coursedir = course_directory(course, config, assignment_id=assignment)
        converter = GenerateAssignment(coursedir=coursedir, config=config)
        converter.force = True
        result = capture_log(converter)
        if not result["success"]:
            raise BuildError(f"nbgrader could not generate {assignment}:\n"
                             f"{result.get('log', '')}\n{result.get('error', '')}")
        written.append(Path(release_dir) / assignment / f"{assignment}.ipynb")
    return written


def build(course: Course, assignments: list[str] | None = None) -> list[Path]:
    """Regenerate ``lessons/`` (all lessons by default) and return the notebooks written.

    A full build also removes generated lesson folders whose solution is gone.
    """
    every = course.assignments()
    if not assignments:
        assignments = every
        for folder in sorted(course.release.glob("*")) if course.release.is_dir() else []:
            if folder.name not in every and is_generated(folder / f"{folder.name}.ipynb"):
                shutil.rmtree(folder)
    unknown = sorted(set(assignments) - set(every))
    if unknown:
        raise BuildError(f"no such lesson in {course.source}: {', '.join(unknown)}")
    course.release.mkdir(parents=True, exist_ok=True)
    return generate(course, assignments, course.release)


# ---------------------------------------------------------------- check


@dataclass
class SyncReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one-line summaries
    diff: str = ""

    @property
    def in_sync(self) -> bool:
        return not self.problems


def _cells_text(path: Path) -> list[str]:
    """A notebook as text: one header line per cell, then its source."""
    nb = nbformat.read(str(path), as_version=4)
    lines = []
    for index, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        lines.append(f"# ---- cell {index} [{cell.cell_type}] {grade_id}".rstrip() + "\n")
        lines.extend(line + "\n" for line in cell.source.split("\n"))
    return lines


def _file_diff(have: Path, want: Path, label: str) -> str:
    """Unified diff of what is in lessons/ (have) and what the build produces (want)."""
    if have.suffix == ".ipynb":
        old, new = _cells_text(have), _cells_text(want)
        if old == new:  # same sources: metadata or formatting differ
            old = have.read_text().splitlines(keepends=True)
            new = want.read_text().splitlines(keepends=True)
    else:
        try:
            old = have.read_text().splitlines(keepends=True)
            new = want.read_text().splitlines(keepends=True)
        except UnicodeDecodeError:
            return f"Binary file {label} differs\n"
    return "".join(difflib.unified_diff(old, new, f"{label} (committed)", f"{label} (rebuilt from {SOURCE_DIR}/)"))


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def unjudgeable_test_cells(course: Course, assignment: str) -> list[str]:
    """Test cells of a solution that the judge could not run outside the kernel.

    A graded test cell must consist of checker calls on names or constants
    (``check_x(answer, hidden=True)``), each checker imported in a locked setup
    cell; anything else would be scored from what the student's kernel says
    (see ``grader.judge.judge``).
    """
    from ..judge.judge import checker_imports, load_checker, parse_test_cell
    from ..judge.outcomes import is_test_cell

    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    imports = checker_imports(nb)
    problems = []
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        grade_id = cell.metadata.nbgrader.get("grade_id")
        calls = parse_test_cell(cell.source)
        if calls is None:
            problems.append(f"{assignment}: test cell {grade_id} is not only checker calls "
                            "(check_x(name, hidden=True)); the judge cannot run it")
            continue
        for call in calls:
            if call.checker not in imports:
                problems.append(f"{assignment}: test cell {grade_id} calls {call.checker}, which "
                                "no locked setup cell imports")
                continue
            try:
                load_checker(imports[call.checker], [str(course.source / assignment)])
            except Exception as exc:  # noqa: BLE001 - reported to the maintainer
                problems.append(f"{assignment}: test cell {grade_id}: {call.checker} cannot be "
                                f"loaded ({type(exc).__name__}: {exc})")
    return problems


def unsafe_demo_cells(course: Course, assignment: str) -> list[str]:
    """Why grading could not skip the cells tagged ``demo`` (``grader.run.demo_cells``)."""
    from ..run.demo_cells import problems

    nb = nbformat.read(str(course.source_notebook(assignment)), as_version=4)
    return [f"{assignment}: {problem}" for problem in problems(nb)]


def check(course: Course, assignments: list[str] | None = None) -> SyncReport:
    """Compare ``lessons/`` with a fresh build; never writes into the course."""
    every = course.assignments()
    report = SyncReport(checked=list(assignments or every))
    diffs = []
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        fresh = Path(tmp)
        generate(course, report.checked, fresh)
        for assignment in report.checked:
            have_dir, want_dir = course.release / assignment, fresh / assignment
            have, want = _files(have_dir), _files(want_dir)
            for name in sorted(want - have):
                report.problems.append(f"lessons/{assignment}/{name} is missing")
            for name in sorted(have - want):
                report.problems.append(f"lessons/{assignment}/{name} is not generated from {SOURCE_DIR}/")
            for name in sorted(have & want):
                if not filecmp.cmp(have_dir / name, want_dir / name, shallow=False):
                    report.problems.append(f"lessons/{assignment}/{name} is stale")
                    diffs.append(_file_diff(have_dir / name, want_dir / name, f"lessons/{assignment}/{name}"))
    for assignment in report.checked:
        report.problems += unjudgeable_test_cells(course, assignment)
        report.problems += unsafe_demo_cells(course, assignment)
    if not assignments and course.release.is_dir():
        for folder in sorted(course.release.glob("*")):
            if folder.is_dir() and folder.name not in every:
                report.problems.append(f"lessons/{folder.name}/ has no solutions/{folder.name}/")
    report.diff = "".join(diffs)
    return report
